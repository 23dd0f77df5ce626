"""The pipeline families, read from their registrations without importing them.

A family is a registration `devkit/domains/<family>.py` (its name is its DAGs' dag_id
prefix) that declares, besides its `DOMAIN` (Variables, Connections, resources and
sample data: devkit/domains/__init__.py), what selects its tests in the gate:

    GATE_PATHS = ("dags/<family>__*", "sql/<family>/**", ...)  # a change here runs them
    GATE_TESTS = ("tests/dags/test_<family>__*.py", ...)  # its test modules

Both are literals, read here with `ast`: the gate decides what to run before anything
heavy starts, and a registration imports the emulation and Airflow. Registrations
without GATE_TESTS (the house, lineage) own no tests and are no family.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
DECLARED = ("GATE_PATHS", "GATE_TESTS")


@dataclass(frozen=True)
class Family:
    """One family's gate declarations."""

    name: str
    paths: tuple[str, ...]  # globs: a change to a matching file runs its tests
    tests: tuple[str, ...]  # globs of its test modules

    @property
    def registration(self) -> str:
        return f"devkit/domains/{self.name}.py"


class DeclarationError(ValueError):
    """A registration's gate declaration is not a tuple of strings."""


def declarations(path: Path) -> dict[str, tuple[str, ...]]:
    """The DECLARED literals of one registration module, without importing it."""
    found = {}
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target = node.target
        else:
            continue
        name = getattr(target, "id", None)
        if name in DECLARED:
            found[name] = _strings(path, name, node.value)
    return found


def _strings(path: Path, name: str, value: ast.expr) -> tuple[str, ...]:
    try:
        found = ast.literal_eval(value)
    except ValueError:
        found = None
    if not isinstance(found, tuple) or not all(isinstance(v, str) for v in found):
        raise DeclarationError(
            f"{path}: {name} must be a tuple of glob strings written out (the gate "
            'reads it without importing the module), e.g. ("sql/<family>/**",)'
        )
    return found


@cache
def families(folder: Path = FOLDER) -> tuple[Family, ...]:
    """Every family under `folder`, by name."""
    found = []
    for path in sorted(folder.glob("*.py")):
        declared = declarations(path)
        if "GATE_TESTS" in declared:
            paths = declared.get("GATE_PATHS", ())
            found.append(Family(path.stem, paths, declared["GATE_TESTS"]))
    return tuple(found)


def names(folder: Path = FOLDER) -> tuple[str, ...]:
    """The families' names: the allowed dag_id prefixes (`<family>__<name>`)."""
    return tuple(family.name for family in families(folder))
