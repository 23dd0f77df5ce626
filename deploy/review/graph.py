"""A small Mermaid graph of a changed DAG, changes marked (GitHub renders it in summaries).

Added tasks are green, removed ones red and dashed, changed ones amber; added edges
are thick, removed ones dotted. A big DAG shows only the changed tasks and their
neighbours, so the graph stays readable.
"""

from __future__ import annotations

MAX_TASKS = 25
STYLES = (
    "classDef added fill:#d4f8d4,stroke:#2a7d2a",
    "classDef removed fill:#f8d4d4,stroke:#a32a2a,stroke-dasharray:4 3",
    "classDef changed fill:#fbeccb,stroke:#a36b00",
)


def _edges(dag: dict | None) -> set[tuple[str, str]]:
    if not dag:
        return set()
    return {(up, task_id) for task_id, task in dag["tasks"].items() for up in task["upstream"]}


def _marks(base: dict | None, head: dict) -> dict[str, str]:
    """task id -> added / removed / changed (unchanged tasks are absent)."""
    old = (base or {}).get("tasks", {})
    new = head["tasks"]
    marks = {t: "added" for t in new if t not in old}
    marks.update({t: "removed" for t in old if t not in new})
    marks.update({t: "changed" for t in new if t in old and old[t] != new[t]})
    return marks


def _shown(tasks: set[str], edges: set[tuple[str, str]], marks: dict[str, str]) -> set[str]:
    """Every task of a small DAG; of a big one the marked tasks and their neighbours."""
    if len(tasks) <= MAX_TASKS:
        return tasks
    near = set(marks)
    for up, down in edges:
        if up in marks or down in marks:
            near |= {up, down}
    return near


def mermaid(base: dict | None, head: dict) -> str:
    """A ```mermaid block: head's tasks and edges, base's removed ones, changes marked."""
    old_edges, new_edges = _edges(base), _edges(head)
    marks = _marks(base, head)
    tasks = set(head["tasks"]) | {t for t, mark in marks.items() if mark == "removed"}
    shown = _shown(tasks, old_edges | new_edges, marks)
    ids = {task_id: f"t{n}" for n, task_id in enumerate(sorted(shown))}
    lines = ["```mermaid", "flowchart LR", *(f"  {s}" for s in STYLES)]
    for task_id, node in ids.items():
        mark = f":::{marks[task_id]}" if task_id in marks else ""
        lines.append(f'  {node}["{task_id}"]{mark}')
    for up, down in sorted(old_edges | new_edges):
        if up not in ids or down not in ids:
            continue
        arrow = "-->"
        if base is not None and (up, down) not in old_edges:
            arrow = "==>|added|"
        elif (up, down) not in new_edges:
            arrow = "-.->|removed|"
        lines.append(f"  {ids[up]} {arrow} {ids[down]}")
    if len(shown) < len(tasks):
        lines.append(f'  more["… {len(tasks) - len(shown)} unchanged tasks not shown"]')
    lines.append("```")
    return "\n".join(lines)
