"""Section 4, IAM per role: accesses added or stopped, policy statements added/removed/widened.

Accesses come from the access records of local runs (devkit/iam/access_record.py),
one per tree, found by the tree's digest under .airflow/access-records/ or given as
files. A record is used only for the tree it was made on: any other is named as
stale and not compared, never used silently. Policy statements come from the
templates, per role and (policy, Sid), intrinsic functions left as written.
A new access or statement on anything outside the stack's own resources is flagged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from deploy.review.section import Section, code, plural

RECORDS = Path(".airflow") / "access-records"
HOW_TO_RECORD = (
    "run `./run_pipelines_locally.sh` on that commit (it writes "
    "`.airflow/access-records/<digest>.json`), or pass the record of a run of it "
    "(e.g. the CI artifact of main) with `--base-accesses`/`--head-accesses`"
)


@dataclass
class Record:
    """A tree's access record, or why there is none to use."""

    accesses: set[tuple[str, str, str]] | None
    source: str  # where it came from, or why it is not used


def find(repo: Path, tree_digest: str, given: Path | None, label: str) -> Record:
    """The record for a tree of this digest: the given file if it matches, the one of this
    digest in the given folder (e.g. a downloaded CI artifact), else the store's."""
    if given is not None and not given.is_dir():
        path = given
    else:
        path = (given or repo / RECORDS) / f"{tree_digest}.json"
    if not path.is_file():
        return Record(None, f"IAM accesses: no access record of the {label} (tree {tree_digest})")
    try:
        document = json.loads(path.read_text())
    except ValueError as exc:
        return Record(None, f"**unreadable, not used**: {code(path)} is not JSON ({exc})")
    if document.get("tree") != tree_digest:
        return Record(
            None,
            f"**stale, not used**: {code(path)} was recorded on tree {document.get('tree')} "
            f"(commit {str(document.get('commit'))[:12]}), the {label} is tree {tree_digest}",
        )
    partial = "" if document.get("complete") else f", only DAGs {', '.join(document['dags'])}"
    entries = {(a["role"], a["action"], a["resource"]) for a in document["accesses"]}
    when = f"{document.get('written_at')}, commit {str(document.get('commit'))[:12]}{partial}"
    return Record(entries, f"{code(path)} ({when})")


def outside(resource) -> bool:
    """Not one of the stack's resources: no `${LogicalId}` in it, or a wildcard."""
    text = resource if isinstance(resource, str) else json.dumps(resource)
    return "${" not in text and "GetAtt" not in text and '"Ref"' not in text or text == "*"


def access_lines(base: Record, head: Record) -> tuple[list[str], int, int]:
    """Per role, accesses added and stopped; (lines, added, flagged outside the stack)."""
    if base.accesses is None or head.accesses is None:
        return [], 0, 0
    lines, flagged = [], 0
    added, stopped = head.accesses - base.accesses, base.accesses - head.accesses
    for role in sorted({r for r, _, _ in added | stopped}):
        lines.append(f"- {code(role)}:")
        for _, action, resource in sorted(a for a in added if a[0] == role):
            flag = " — **outside the stack's own resources**" if outside(resource) else ""
            flagged += bool(flag)
            lines.append(f"  - new access: {code(action)} on {code(resource)}{flag}")
        for _, action, resource in sorted(a for a in stopped if a[0] == role):
            lines.append(f"  - stops: {code(action)} on {code(resource)}")
    return lines, len(added), flagged


def policy_lines(base_templates: dict, head_templates: dict) -> tuple[list[str], int]:
    """Per role, statements added, removed, widened...; (lines, statements flagged)."""
    from deploy.review.iam_policies import change, statements

    old, new = statements(base_templates), statements(head_templates)
    notes: dict[str, list[str]] = {}
    flagged = 0
    for key in sorted(set(old) | set(new)):
        role, policy, sid = key
        label = f"{code(policy)} · {code(sid)}"
        if key not in old:
            wide = [r for r in sorted(new[key]["resources"]) if outside(r)]
            flag = f" — **outside the stack's own resources**: {', '.join(map(code, wide))}"
            flagged += bool(wide)
            text = f"statement added: {label} {_summary(new[key])}{flag if wide else ''}"
        elif key not in new:
            text = f"statement removed: {label} {_summary(old[key])}"
        elif kind := change(old[key], new[key]):
            text = f"statement {kind}: {label} {_summary(old[key])} → {_summary(new[key])}"
        else:
            continue
        notes.setdefault(role, []).append(text)
    lines = []
    for role, texts in notes.items():
        lines += [f"- {code(role)}:", *(f"  - {t}" for t in texts)]
    return lines, flagged


def _summary(statement: dict) -> str:
    actions = ", ".join(sorted(statement["actions"]))
    resources = ", ".join(sorted(statement["resources"]))
    return f"({statement['effect']} {code(actions)} on {code(resources)})"


def section(
    base: Record | None, head: Record | None, base_templates: dict, head_templates: dict
) -> tuple[Section, list[str]]:
    """The IAM section and the notes on records not compared (stale or missing)."""
    result = Section("IAM")
    notes = []
    if base is not None and head is not None:
        notes = [r.source for r in (base, head) if r.accesses is None]
        if any(r.accesses is None and "no access record" in r.source for r in (base, head)):
            notes.append(f"to compare accesses, {HOW_TO_RECORD}")
        lines, added, flagged = access_lines(base, head)
        if lines:
            result.lines += [f"Accesses of local runs: base {base.source}; head {head.source}", ""]
            result.lines += [*lines, ""]
            result.verdict.append(f"{plural(added, 'new AWS access', 'new AWS accesses')}")
        if flagged:
            result.verdict.append(f"{flagged} of them outside the stack's own resources")
    lines, flagged_statements = policy_lines(base_templates, head_templates)
    if lines:
        result.lines += ["Policy statements:", "", *lines]
        result.verdict.append(
            f"{plural(sum(line.startswith('  -') for line in lines), 'policy statement')} changed"
        )
    if flagged_statements:
        result.verdict.append(f"{plural(flagged_statements, 'statement')} outside the stack")
    return result, notes
