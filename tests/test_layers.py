"""One direction through the repository: lakehouse <- deploy <- devkit <- bench.

Each top-level package, and each folder of devkit/, sits in exactly one layer of
`LAYERS` and imports only its own layer and those below; no two modules import each
other. Every import counts, also the lazy ones inside functions and those under
TYPE_CHECKING, and so does running a module by name (`[python, "-m", name]`, or a
module's dotted name kept in a string for `-m` or importlib): a subprocess is still
a dependency. No module of lakehouse, deploy or devkit keeps a Python program in a
string (`python -c`); bench's DAG templates are what it measures.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from devkit.paths import REPO

# Where each top-level package's modules live (lakehouse ships inside dags/).
ROOTS: dict[str, Path] = {
    "spark": REPO / "spark",
    "recipes": REPO / "recipes",
    "lakehouse": REPO / "dags" / "lakehouse",
    "deploy": REPO / "deploy",
    "devkit": REPO / "devkit",
    "bench": REPO / "bench",
}
DAG_FILES = REPO / "dags"  # the DAG files themselves, modules `dags.<dag_id>`

# Lowest first. A module may import its own layer and the layers below it, never one
# above. The longest matching prefix decides a module's layer; each entry is a
# top-level package, one of devkit's folders or one of devkit's top-level modules,
# never a module inside a folder: a folder sits in exactly one layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("spark", "recipes"),  # run on EMR Serverless and ECS: import none of ours
    ("lakehouse",),  # the DAGs' shared package, shipped to MWAA
    ("dags",),  # the DAG files: lakehouse and Airflow only
    ("deploy",),  # the deploy tool, and what both it and devkit need (deploy.dags)
    ("devkit", "devkit.paths", "devkit.output"),  # where things are, where output goes
    # devkit's foundations: each imports only the layers before it and its own package.
    ("devkit.iam", "devkit.datahub", "devkit.mwaa"),
    ("devkit.patches",),  # the local speed-ups (route task output with devkit.output)
    ("devkit.airflow",),  # settings and metadata DB, one DagRun (applies the patches)
    ("devkit.emulator",),  # AWS on loopback: IAM recording, the DataHub CLI, Spark
    ("devkit.domains",),  # what each pipeline domain provisions and lands
    ("devkit.run", "devkit.tools"),  # the commands
    ("bench",),  # measures all of the above
)
# A package's top floor: its commands. Another package uses the floors below them;
# only bench, which times the commands as a user runs them, may call them.
TOP_FLOORS = ("deploy.__main__", "deploy.runner")


def module_name(path: Path) -> str:
    if path.parent == DAG_FILES:
        return f"dags.{path.stem}"
    package = next(name for name, root in ROOTS.items() if root in path.parents)
    parts = [package, *path.relative_to(ROOTS[package]).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_in(roots: dict[str, Path], dag_files: Path | None) -> dict[str, Path]:
    paths = [p for root in roots.values() for p in root.rglob("*.py")]
    paths += sorted(dag_files.glob("*.py")) if dag_files else []
    return {module_name(p): p for p in sorted(paths)}


MODULES = modules_in(ROOTS, DAG_FILES)


def _resolve(name: str, modules: dict) -> str | None:
    """The module an imported name lives in (a module, or its package); None: not ours."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imported_names(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
            base = f"{base}.{node.module}" if node.module else base
        return [f"{base}.{alias.name}" for alias in node.names] or [base]
    return []


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            found.add(id(body[0].value))
    return found


def _run_by_name(tree: ast.Module) -> list[str]:
    """Module names kept in strings: `"-m", "x"` in a list, or a dotted name on its own."""
    names = []
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [getattr(e, "value", None) for e in node.elts]
            names += [b for a, b in zip(items, items[1:]) if a == "-m" and isinstance(b, str)]
        elif isinstance(node, ast.Constant) and id(node) not in docstrings:
            if isinstance(node.value, str) and re.fullmatch(r"\w+(\.\w+)+", node.value):
                names.append(node.value)
    return names


def imports_of(module: str, modules: dict[str, Path]) -> set[str]:
    """Our modules `module` imports anywhere in its body, or runs by name in another package."""
    path = modules[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        for name in _imported_names(node, package):
            if (target := _resolve(name, modules)) not in (None, module):
                found.add(target)
    for name in _run_by_name(tree):
        # Inside one package a name in a string is a registry (devkit.patches.MODULES).
        if name in modules and name.split(".")[0] != module.split(".")[0]:
            found.add(name)
    return found


def graph_of(modules: dict[str, Path]) -> dict[str, set[str]]:
    return {module: imports_of(module, modules) for module in modules}


@cache
def repository_graph() -> dict[str, set[str]]:
    """Built by the first test that asks, not at collection (every worker collects)."""
    return graph_of(MODULES)


def layer(module: str, layers=LAYERS) -> int:
    matches = [
        (len(prefix), n)
        for n, prefixes in enumerate(layers)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert matches, f"{module}: in no layer of LAYERS (tests/test_layers.py)"
    return max(matches)[1]


def upward(graph: dict[str, set[str]], layers=LAYERS) -> list[str]:
    """Each import of a layer above the importer's, or of another package's top floor."""
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if layer(target, layers) > layer(module, layers):
                found.append(
                    f"{module} (layer {layer(module, layers)}) imports {target} "
                    f"(layer {layer(target, layers)})"
                )
            elif target in TOP_FLOORS and module.split(".")[0] not in (
                target.split(".")[0],
                "bench",
            ):
                found.append(f"{module} imports {target}, the top floor of its package")
    return found


def loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def folder_of(module: str) -> str:
    """The unit LAYERS places: a devkit folder, else the top-level package."""
    parts = module.split(".")
    if parts[0] == "devkit" and len(parts) > 1 and (ROOTS["devkit"] / parts[1]).is_dir():
        return ".".join(parts[:2])
    return parts[0]


def folders_graph(graph: dict[str, set[str]], folder=folder_of) -> dict[str, set[str]]:
    """Folder -> the other folders its modules import."""
    folders: dict[str, set[str]] = {}
    for module, targets in graph.items():
        found = folders.setdefault(folder(module), set())
        found |= {folder(t) for t in targets if folder(t) != folder(module)}
    for targets in list(folders.values()):
        for target in targets:
            folders.setdefault(target, set())
    return folders


def programs_in_strings(path: Path) -> list[int]:
    """Lines of strings that hold a Python program of more than one line with an import."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in docstrings:
            continue
        if not isinstance(node.value, str) or node.value.strip().count("\n") < 1:
            continue
        try:
            program = ast.parse(node.value)
        except SyntaxError:
            continue
        if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(program)):
            found.append(node.lineno)
    return found


# --- the repository ---


def test_every_module_has_a_layer_and_the_graph_sees_real_imports():
    graph = repository_graph()
    assert all(layer(module) >= 0 for module in MODULES)
    assert "devkit.airflow.dagrun" in graph["devkit.run.pipelines"]
    assert "deploy.dags.catalog" in graph["devkit.run.pipelines"]  # inside a function
    assert "lakehouse.conventions" in graph["dags.tickit__redshift_load"]
    assert "deploy" in graph["bench.review_time"]  # run with `python -m deploy review`


def test_each_layer_entry_is_a_package_a_devkit_folder_or_module_and_named_once():
    entries = [prefix for prefixes in LAYERS for prefix in prefixes]
    assert len(entries) == len(set(entries))
    folders = {f"devkit.{p.parent.name}" for p in (REPO / "devkit").glob("*/__init__.py")}
    top_modules = {f"devkit.{p.stem}" for p in (REPO / "devkit").glob("*.py") if p.stem[0] != "_"}
    allowed = {*ROOTS, "dags", *folders, *top_modules}
    assert [e for e in entries if e not in allowed] == [], "a layer names part of a folder"
    assert [f for f in folders | top_modules if f not in entries] == [], "give it a layer"
    assert all(floor in MODULES for floor in TOP_FLOORS), "TOP_FLOORS names no module"


def test_no_module_imports_from_a_layer_above_it():
    assert upward(repository_graph()) == []


def test_no_import_loops():
    assert loops(repository_graph()) == []


def test_no_loops_between_folders():
    """Two folders of one layer (run and tools) may not lean on each other either."""
    assert loops(folders_graph(repository_graph())) == []


@pytest.mark.parametrize("package", ["lakehouse", "deploy", "devkit"])
def test_no_python_program_is_kept_in_a_string(package):
    found = [
        f"{path.relative_to(REPO)}:{line}"
        for path in sorted(ROOTS[package].rglob("*.py"))
        for line in programs_in_strings(path)
    ]
    assert found == [], "a module of its own, run with `python -m`, instead"


def test_the_docs_name_each_layer():
    guide = (REPO / "docs" / "devkit.md").read_text()
    devkit = [prefix for prefixes in LAYERS for prefix in prefixes if prefix.startswith("devkit.")]
    assert [p for p in devkit if f"`{p.removeprefix('devkit.')}`" not in guide] == []
    readme = (REPO / "README.md").read_text()
    assert "`lakehouse` ← `deploy` ← `devkit` ← `bench`" in readme


# --- the checker itself, on a synthetic tree: each rule can fail ---

SYNTHETIC_LAYERS = (("low",), ("high",))


def synthetic(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    modules = {
        ".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__"): p
        for p in tmp_path.rglob("*.py")
    }
    return graph_of(modules)


def test_a_reversed_import_fails_however_it_is_hidden(tmp_path):
    graph = synthetic(
        tmp_path,
        {
            "low/__init__.py": "",
            "low/lazy.py": "def f():\n    from high import a\n",
            "low/typed.py": "import typing\nif typing.TYPE_CHECKING:\n    import high.b\n",
            "low/run.py": 'import sys\nCMD = [sys.executable, "-m", "high"]\n',
            "low/named.py": 'PROBE = "high.b"\n',
            "high/__init__.py": "from low import lazy\n",
            "high/a.py": "from . import b\n",
            "high/b.py": "",
        },
    )
    assert upward(graph, SYNTHETIC_LAYERS) == [
        "low.lazy (layer 0) imports high.a (layer 1)",
        "low.named (layer 0) imports high.b (layer 1)",
        "low.run (layer 0) imports high (layer 1)",
        "low.typed (layer 0) imports high.b (layer 1)",
    ]
    assert graph["high"] == {"low.lazy"} and graph["high.a"] == {"high.b"}


def test_a_loop_between_two_modules_fails(tmp_path):
    graph = synthetic(
        tmp_path,
        {"low/__init__.py": "", "low/a.py": "import low.b\n", "low/b.py": "from low.a import x\n"},
    )
    assert upward(graph, SYNTHETIC_LAYERS) == []
    assert loops(graph) == [["low.a", "low.b"]]


def test_a_loop_between_two_folders_fails_without_a_loop_between_modules(tmp_path):
    graph = synthetic(
        tmp_path,
        {
            "low/__init__.py": "",
            "low/a.py": "import high.b\n",
            "low/c.py": "",
            "high/__init__.py": "",
            "high/b.py": "",
            "high/d.py": "import low.c\n",
        },
    )
    assert loops(graph) == []
    assert loops(folders_graph(graph, lambda m: m.split(".")[0])) == [["high", "low"]]


def test_a_program_in_a_string_fails_and_sql_or_a_message_does_not(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(
        '"""Docstring:\nimport x\n"""\n'
        'PROBE = """\nimport json\nprint(json.dumps(1))\n"""\n'
        'SQL = """\nselect 1\nfrom t\n"""\n'
        'HINT = "run: python -m deploy up"\n'
    )
    assert programs_in_strings(path) == [4]
