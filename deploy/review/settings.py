"""Section 3, settings: Airflow Variables and Connections added or removed.

For each, whether `python -m deploy infra settings` provides it from the stack's
outputs (deploy/airflow_settings.py's naming rule and connection recipes, read
against the head's templates): a new setting production does not have yet is
what a reviewer must not miss.
"""

from __future__ import annotations

from deploy.airflow_settings import CONNECTIONS, output_key
from deploy.review.section import Section, code, plural


def used(snapshot: dict, kind: str) -> set[str]:
    """Used in a task argument of any DAG, or declared in lakehouse.conventions."""
    found = set(snapshot["declared"].get(kind, []))
    for dag in snapshot["dags"].values():
        found |= set(dag[kind])
    return found


def provides_variable(name: str, outputs: set[str]) -> str:
    key = output_key(name)
    if key in outputs:
        return f"`deploy infra settings` sets it from Output {code(key)}"
    return (
        f"**not provided**: no Output {code(key)} in infra/; add it (or set "
        f"{code(f'<stack>/airflow/variables/{name}')} by hand) before this deploys"
    )


def provides_connection(conn_id: str, outputs: set[str]) -> str:
    recipe = CONNECTIONS.get(conn_id)
    if recipe is None:
        return "**not provided**: no recipe in CONNECTIONS (deploy/airflow_settings.py)"
    lacking = [key for key in recipe.outputs if key not in outputs]
    if lacking:
        return f"**not provided**: the stack lacks Output(s) {', '.join(map(code, lacking))}"
    built = ", ".join(map(code, recipe.outputs)) or "the region only"
    return f"`deploy infra settings` builds it from {built}"


def section(base: dict, head: dict, outputs: set[str]) -> Section:
    """The settings section of two snapshots; `outputs`: the head templates' Output keys."""
    result = Section("Settings")
    missing = 0
    for kind, noun, provides in (
        ("variables", "Variable", provides_variable),
        ("connections", "Connection", provides_connection),
    ):
        old, new = used(base, kind), used(head, kind)
        for name in sorted(new - old):
            how = provides(name, outputs)
            missing += how.startswith("**not provided")
            result.lines.append(f"- {noun} added: {code(name)}: {how}")
        for name in sorted(old - new):
            result.lines.append(f"- {noun} removed: {code(name)} (its secret stays until deleted)")
        added, removed = len(new - old), len(old - new)
        if added:
            result.verdict.append(f"{plural(added, noun)} added")
        if removed:
            result.verdict.append(f"{plural(removed, noun)} removed")
    if missing:
        result.verdict.append(f"{plural(missing, 'setting')} the stack does not provide")
    return result
