"""Section 1, DAGs: tasks, edges, schedule, Assets, retries/timeouts/owners/tags, import errors.

Compares the snapshots deploy.dags.snapshot wrote for the base and the head
(plain JSON), DAG by DAG, and draws each changed DAG as a small Mermaid graph.
"""

from __future__ import annotations

from deploy.review.graph import mermaid
from deploy.review.section import Section, code, plural

# DAG-level fields compared as values, with the words a reviewer reads.
DAG_FIELDS = (
    ("schedule", "schedule"),
    ("timetable", "timetable"),
    ("dagrun_timeout", "DAG run timeout"),
    ("owners", "owners"),
    ("tags", "tags"),
)
MAX_VALUE = 120


def short(value) -> str:
    """A value on one line, cut to MAX_VALUE characters."""
    text = " ".join(str(value).split())
    return code(text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…")


def edges(dag: dict) -> set[tuple[str, str]]:
    return {(up, task_id) for task_id, task in dag["tasks"].items() for up in task["upstream"]}


def task_changes(base: dict, head: dict) -> dict[str, list[str]]:
    """task id -> what changed in it (operator, then each argument that differs)."""
    changed: dict[str, list[str]] = {}
    for task_id in sorted(set(base["tasks"]) & set(head["tasks"])):
        old, new = base["tasks"][task_id], head["tasks"][task_id]
        notes = []
        if old["operator"] != new["operator"]:
            notes.append(f"operator {code(old['operator'])} → {code(new['operator'])}")
        for name in sorted(set(old["args"]) | set(new["args"])):
            if old["args"].get(name) != new["args"].get(name):
                notes.append(
                    f"{code(name)} {short(old['args'].get(name))} → {short(new['args'].get(name))}"
                )
        if old["produces"] != new["produces"]:
            notes.append(f"outlets {short(old['produces'])} → {short(new['produces'])}")
        if notes:
            changed[task_id] = notes
    return changed


def set_lines(label: str, old, new) -> list[str]:
    """`- <label> added: …` and `- <label> removed: …` for two collections."""
    added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
    lines = [f"- {label} added: {code(item)}" for item in added]
    return lines + [f"- {label} removed: {code(item)}" for item in removed]


def dag_lines(base: dict, head: dict) -> list[str]:
    """Every change of one DAG that exists in both trees, one bullet each."""
    lines = []
    for key, words in DAG_FIELDS:
        if base[key] != head[key]:
            lines.append(f"- {words}: {short(base[key])} → {short(head[key])}")
    lines += set_lines("Asset consumed", base["consumes"], head["consumes"])
    lines += set_lines("Asset produced", base["produces"], head["produces"])
    for task_id in sorted(set(head["tasks"]) - set(base["tasks"])):
        lines.append(f"- task added: {code(task_id)} ({head['tasks'][task_id]['operator']})")
    for task_id in sorted(set(base["tasks"]) - set(head["tasks"])):
        lines.append(f"- task removed: {code(task_id)} ({base['tasks'][task_id]['operator']})")
    for task_id, notes in task_changes(base, head).items():
        lines += [f"- task {code(task_id)}: {note}" for note in notes]
    added, removed = edges(head) - edges(base), edges(base) - edges(head)
    lines += [f"- edge added: {code(a)} → {code(b)}" for a, b in sorted(added)]
    lines += [f"- edge removed: {code(a)} → {code(b)}" for a, b in sorted(removed)]
    return lines


def import_error_lines(base: dict, head: dict) -> list[str]:
    """New or changed import errors with their error text; fixed ones in a line."""
    lines = []
    for path, error in sorted(head["import_errors"].items()):
        if base["import_errors"].get(path) != error:
            tail = "\n".join(error.strip().splitlines()[-6:])
            lines += [f"**{code(path)} does not import:**", "", "```", tail, "```", ""]
    for path in sorted(set(base["import_errors"]) - set(head["import_errors"])):
        lines.append(f"- {code(path)} imports again")
    return lines


def section(base: dict, head: dict) -> Section:
    """The DAGs section of two snapshots (empty when no DAG changed)."""
    result = Section("DAGs")
    result.lines += import_error_lines(base, head)
    failures = len(set(head["import_errors"]) - set(base["import_errors"]))
    old_dags, new_dags = base["dags"], head["dags"]
    added, removed = sorted(set(new_dags) - set(old_dags)), sorted(set(old_dags) - set(new_dags))
    changed = []
    for dag_id in added:
        dag = new_dags[dag_id]
        result.lines += [f"#### {code(dag_id)} added ({dag['schedule']})", ""]
        result.lines += [mermaid(None, dag), ""]
    for dag_id in removed:
        unparsed = old_dags[dag_id]["file"] in head["import_errors"]
        words = "not parsed: its file does not import" if unparsed else "removed"
        result.lines += [f"#### {code(dag_id)} {words}", ""]
    removed = [d for d in removed if old_dags[d]["file"] not in head["import_errors"]]
    for dag_id in sorted(set(old_dags) & set(new_dags)):
        lines = dag_lines(old_dags[dag_id], new_dags[dag_id])
        if lines:
            changed.append(dag_id)
            result.lines += [f"#### {code(dag_id)} changed", "", *lines, ""]
            result.lines += [mermaid(old_dags[dag_id], new_dags[dag_id]), ""]
    for count, words in (
        (len(changed), "changed"),
        (len(added), "added"),
        (len(removed), "removed"),
    ):
        if count:
            result.verdict.append(f"{plural(count, 'DAG')} {words}")
    if failures:
        result.verdict.append(f"{plural(failures, 'DAG file')} failing to import")
    return result
