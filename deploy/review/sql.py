"""Section 2, SQL: each task whose rendered SQL changed, before and after, as a diff.

Rendered by Airflow's own templating for one representative logical date
(deploy.dags.snapshot.REPRESENTATIVE_DAY), so a changed macro, Param or
searchpath shows in the statement exactly as the task would submit it.
"""

from __future__ import annotations

import difflib

from deploy.review.section import Section, code, plural

REPRESENTATIVE_DAY = "2008-01-01"  # keep equal to deploy.dags.snapshot's


def task_sql(snapshot: dict) -> dict[tuple[str, str, str], str]:
    """(dag id, task id, field) -> rendered SQL."""
    return {
        (dag_id, task_id, name): text
        for dag_id, dag in snapshot["dags"].items()
        for task_id, task in dag["tasks"].items()
        for name, text in task["sql"].items()
    }


def diff(old: str, new: str, label: str) -> str:
    """A unified diff in a ```diff block (GitHub colours it)."""
    body = difflib.unified_diff(
        old.splitlines(), new.splitlines(), f"base/{label}", f"head/{label}", lineterm="", n=3
    )
    return "\n".join(["```diff", *body, "```"])


def section(base: dict, head: dict) -> Section:
    """The SQL section: changed, added and removed statements of tasks in both trees."""
    result = Section("SQL")
    old, new = task_sql(base), task_sql(head)
    # Tasks added or removed are the DAGs section's; here, statements of tasks in both.
    shared = [key for key in sorted(set(old) & set(new)) if old[key] != new[key]]
    if not shared:
        return result
    result.lines.append(f"Rendered for the data interval starting {REPRESENTATIVE_DAY}.")
    result.lines.append("")
    same_diff: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for key in shared:  # tasks that share a SQL file share its diff: shown once
        same_diff.setdefault((old[key], new[key]), []).append(key)
    for (before, after), keys in same_diff.items():
        dag_id, task_id, name = keys[0]
        names = ", ".join(f"{code(d)} · {code(t)} ({n})" for d, t, n in keys)
        result.lines += [f"#### {names}", "", diff(before, after, f"{dag_id}.{task_id}.{name}"), ""]
    tasks = {(d, t) for d, t, _ in shared}
    result.verdict.append(f"SQL of {plural(len(tasks), 'task')} changed")
    return result
