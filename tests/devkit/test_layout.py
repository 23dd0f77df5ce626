"""devkit/'s shape: layers that import only downwards, no import loops, short functions.

Every import counts, also the lazy ones inside functions and those under
TYPE_CHECKING: a loop hidden in a function body is still a loop to read.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from devkit.paths import REPO

DEVKIT = REPO / "devkit"

# Lowest first. A module may import its own layer and the layers below it, never one
# above. The longest matching prefix decides a module's layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("devkit", "devkit.paths"),
    # Foundations: each imports only paths and its own package.
    (
        "devkit.iam",
        "devkit.datahub",
        "devkit.sample_data",
        "devkit.mwaa",
        "devkit.airflow.output",
        "devkit.airflow.dag_files",
    ),
    ("devkit.patches",),  # routes task output with devkit.airflow.output
    ("devkit.airflow",),  # settings and metadata DB, one DagRun (applies the patches)
    ("devkit.emulator",),  # AWS on loopback: IAM recording, the DataHub CLI, Spark
    ("devkit.domains",),  # what each pipeline domain provisions and lands
    ("devkit.run", "devkit.tools"),  # the commands
)

MAX_FUNCTION_LINES = 40
# Functions allowed to stay longer, with the reason.
LONG_FUNCTIONS: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(DEVKIT.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The devkit module an imported name lives in (a module, or its package)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """The devkit modules `module` imports, anywhere in its body."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            names = [f"{base}.{alias.name}" for alias in node.names] or [base]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "devkit" and (target := _resolve(name)) != module:
                found.add(target)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def layer(module: str) -> int:
    matches = [
        (len(prefix), n)
        for n, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert matches, f"{module}: in no layer of LAYERS (tests/devkit/test_layout.py)"
    return max(matches)[1]


def test_every_module_has_a_layer_and_the_graph_sees_real_imports():
    assert all(layer(module) >= 0 for module in MODULES)
    assert "devkit.airflow.dagrun" in GRAPH["devkit.run.pipelines"]
    assert "devkit.emulator.server" in GRAPH["devkit.emulator"]  # a TYPE_CHECKING import


def test_no_module_imports_from_a_layer_above_it():
    upward = [
        f"{module} (layer {layer(module)}) imports {target} (layer {layer(target)})"
        for module, targets in GRAPH.items()
        for target in targets
        if layer(target) > layer(module)
    ]
    assert upward == []


def test_no_import_loops():
    """No strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in GRAPH[module]:
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
                loops.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    assert loops == []


def test_the_folder_names_shadow_no_real_package():
    """devkit/airflow/ and devkit/datahub/ are reached as devkit.airflow, devkit.datahub."""
    for name in ("airflow", "datahub"):
        spec = importlib.util.find_spec(name)
        if spec is not None:
            assert DEVKIT not in Path(spec.origin).parents, name
    assert not [p for p in DEVKIT.glob("*.py") if p.stem in ("airflow", "datahub")]


def long_functions() -> dict[str, int]:
    found = {}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found[f"{module}.{node.name}"] = lines
    return found


def test_no_function_in_devkit_is_over_40_lines():
    over = {name: n for name, n in long_functions().items() if name not in LONG_FUNCTIONS}
    assert over == {}, "split these where a name explains the part, or list them with a reason"


def test_each_listed_exception_is_still_long():
    stale = [name for name in LONG_FUNCTIONS if name not in long_functions()]
    assert stale == [], "short now: drop them from LONG_FUNCTIONS"


def test_the_readme_and_docs_name_every_devkit_folder():
    folders = sorted(p.parent.name for p in DEVKIT.glob("*/__init__.py"))
    readme = (REPO / "README.md").read_text()
    guide = (REPO / "docs" / "devkit.md").read_text()
    assert [f for f in folders if f"\n  {f}/ " not in readme] == [], "README.md's Layout"
    assert [f for f in folders if f"| `{f}/` |" not in guide] == [], "docs/devkit.md's table"
    for prefixes in LAYERS[1:]:
        for prefix in prefixes:
            assert f"`{prefix.split('.', 1)[1].split('.')[0]}`" in guide, prefix
