"""devkit/'s shape: folders the docs name, no shadowed package; and short functions
in every non-test Python file of the repository.

The layers (each folder imports only downwards, no import loops) are checked with
the other packages' in tests/test_layers.py.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from devkit.paths import REPO

DEVKIT = REPO / "devkit"

MAX_FUNCTION_LINES = 40
# Functions allowed to stay longer, with the reason.
LONG_FUNCTIONS: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(DEVKIT.rglob("*.py"))}


def test_the_folder_names_shadow_no_real_package():
    """devkit/airflow/ and devkit/datahub/ are reached as devkit.airflow, devkit.datahub."""
    for name in ("airflow", "datahub"):
        spec = importlib.util.find_spec(name)
        if spec is not None:
            assert DEVKIT not in Path(spec.origin).parents, name
    assert not [p for p in DEVKIT.glob("*.py") if p.stem in ("airflow", "datahub")]


def python_outside_tests() -> dict[str, Path]:
    """Every Python file of the repository but the tests: devkit, deploy, bench, dags (and
    lakehouse), spark, recipes, ... (hidden folders such as .venv are not the repository's)."""
    found = {}
    for top in sorted(REPO.iterdir()):
        if not top.is_dir() or top.name.startswith(".") or top.name == "tests":
            continue
        for path in sorted(top.rglob("*.py")):
            parts = path.relative_to(REPO).parts
            if any(p.startswith(".") or p in ("__pycache__", "tests") for p in parts):
                continue
            if path.name != "conftest.py" and not path.name.startswith("test_"):
                found[module_name(path)] = path
    return found


def long_functions() -> dict[str, int]:
    found = {}
    for module, path in python_outside_tests().items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found[f"{module}.{node.name}"] = lines
    return found


def test_no_function_outside_tests_is_over_40_lines():
    over = {name: n for name, n in long_functions().items() if name not in LONG_FUNCTIONS}
    assert over == {}, "split these where a name explains the part, or list them with a reason"


def test_the_length_rule_reads_every_top_level_package():
    modules = python_outside_tests()
    for module in ("deploy.runner", "bench.units", "dags.lakehouse.conventions", "devkit.paths"):
        assert module in modules, module
    assert not [m for m in modules if m.startswith("tests.") or ".tests." in m]


def test_each_listed_exception_is_still_long():
    stale = [name for name in LONG_FUNCTIONS if name not in long_functions()]
    assert stale == [], "short now: drop them from LONG_FUNCTIONS"


def test_the_readme_and_docs_name_every_devkit_folder():
    folders = sorted(p.parent.name for p in DEVKIT.glob("*/__init__.py"))
    readme = (REPO / "README.md").read_text()
    guide = (REPO / "docs" / "devkit.md").read_text()
    assert [f for f in folders if f"\n  {f}/ " not in readme] == [], "README.md's Layout"
    assert [f for f in folders if f"| `{f}/` |" not in guide] == [], "docs/devkit.md's table"
