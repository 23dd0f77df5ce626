"""What the DAGs in dags/ are, as the run command and the deploy tool need to know them.

One DagBag over the DAGs folder (the same discovery as the validation tests),
described per DAG: its schedule, the Assets it waits for and updates, and the
Variables and Connections its tasks use. From that, the order a scheduler
would run them in: time-scheduled DAGs per night, then Asset-scheduled DAGs as
soon as all of their Assets have been updated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

VARIABLE_IN_TEMPLATE = re.compile(r"var\.value(?:\.([A-Za-z_]\w*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")


@dataclass(frozen=True)
class DagInfo:
    dag_id: str
    schedule: str
    waits_for: object | None  # the Asset condition of an Asset-scheduled DAG
    updates: frozenset[str]  # names of the Assets its tasks update
    variables: frozenset[str]
    connections: frozenset[str]
    task_count: int

    @property
    def asset_scheduled(self) -> bool:
        return self.waits_for is not None

    @property
    def assets_awaited(self) -> list[str]:
        return sorted(asset_names(self.waits_for)) if self.waits_for is not None else []


class DagDiscoveryError(RuntimeError):
    """A DAG file does not import; the message names the file and the error."""


def discover(dags_dir: Path) -> dict[str, DagInfo]:
    """Parse every DAG file once; refuse to go on if any file has an import error."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags_dir), include_examples=False)
    if bag.import_errors:
        details = "\n".join(
            f"  {Path(path).name}: {error.strip().splitlines()[-1]}"
            for path, error in sorted(bag.import_errors.items())
        )
        raise DagDiscoveryError(f"DAG files that do not import:\n{details}")
    return {dag_id: describe(dag) for dag_id, dag in sorted(bag.dags.items())}


def describe(dag) -> DagInfo:
    condition = getattr(dag.timetable, "asset_condition", None)
    is_assets = type(dag.timetable).__name__ == "AssetTriggeredTimetable"
    variables, connections = set(), set()
    for task in dag.tasks:
        for name, value in vars(task).items():
            if name.endswith("conn_id") and isinstance(value, str) and value:
                connections.add(str(value))
            variables.update(_variables_in(value))
    return DagInfo(
        dag_id=dag.dag_id,
        schedule="Assets" if is_assets else _schedule_text(dag),
        waits_for=condition if is_assets else None,
        updates=frozenset(a.name for t in dag.tasks for a in t.outlets if hasattr(a, "name")),
        variables=frozenset(variables),
        connections=frozenset(connections),
        task_count=len(dag.tasks),
    )


def _schedule_text(dag) -> str:
    timetable = dag.timetable
    expression = getattr(timetable, "_expression", None) or getattr(timetable, "expression", None)
    return f"{type(timetable).__name__}({expression})" if expression else type(timetable).__name__


def _variables_in(value, depth: int = 0) -> set[str]:
    """Names of `{{ var.value.x }}` templates anywhere in a task attribute."""
    if depth > 4:
        return set()
    if isinstance(value, str):
        return {a or b for a, b in VARIABLE_IN_TEMPLATE.findall(value)}
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, (list, tuple, set)):
        items = list(value)
    else:
        return set()
    found: set[str] = set()
    for item in items:
        found |= _variables_in(item, depth + 1)
    return found


def asset_names(condition) -> set[str]:
    """Every Asset name in an Asset, AssetAll or AssetAny condition."""
    if hasattr(condition, "objects"):
        return set().union(*(asset_names(child) for child in condition.objects))
    return {condition.name} if hasattr(condition, "name") else set()


def satisfied(condition, updated: set[str]) -> bool:
    """Would the scheduler trigger a DAG waiting for `condition` once `updated` changed?"""
    kind = type(condition).__name__
    if kind == "AssetAny":
        return any(satisfied(child, updated) for child in condition.objects)
    if hasattr(condition, "objects"):  # AssetAll
        return all(satisfied(child, updated) for child in condition.objects)
    return getattr(condition, "name", None) in updated


@dataclass
class Selection:
    """The DAGs a run covers: every DAG, or the named ones (plus producers upstream)."""

    timed: list[str] = field(default_factory=list)
    on_assets: list[str] = field(default_factory=list)


def select(
    catalog: dict[str, DagInfo], wanted: list[str] | None, with_upstream: bool = False
) -> Selection:
    """Which DAGs to run; unknown ids raise naming the known ones."""
    if wanted:
        unknown = sorted(set(wanted) - set(catalog))
        if unknown:
            raise KeyError(f"unknown DAG id(s) {unknown}; known: {sorted(catalog)}")
        chosen = set(wanted)
        if with_upstream:
            chosen = _with_producers(catalog, chosen)
    else:
        chosen = set(catalog)
    return Selection(
        timed=sorted(d for d in chosen if not catalog[d].asset_scheduled),
        on_assets=sorted(d for d in chosen if catalog[d].asset_scheduled),
    )


def _with_producers(catalog: dict[str, DagInfo], chosen: set[str]) -> set[str]:
    pending, result = list(chosen), set(chosen)
    while pending:
        info = catalog[pending.pop()]
        for other in catalog.values():
            if other.dag_id not in result and other.updates & set(info.assets_awaited):
                result.add(other.dag_id)
                pending.append(other.dag_id)
    return result


def missing_settings(
    catalog: dict[str, DagInfo], dag_ids: list[str], variables: set[str], connections: set[str]
) -> dict[str, list[str]]:
    """DAG id -> the Variables/Connections it uses that no local domain provides."""
    problems: dict[str, list[str]] = {}
    for dag_id in dag_ids:
        info = catalog[dag_id]
        lacking = [f"Variable {v}" for v in sorted(info.variables - variables)]
        lacking += [f"Connection {c}" for c in sorted(info.connections - connections)]
        if lacking:
            problems[dag_id] = lacking
    return problems
