"""The review: every section of base vs working tree, under a one-line verdict."""

from __future__ import annotations

import tempfile
from pathlib import Path

from deploy.review import dags, delivery, iam, infrastructure, settings, sql, templates, trees
from deploy.review.dag_snapshots import snapshots
from deploy.review.section import Section

# Changes under these can change what a DAG is (its file, its shared code, its SQL).
DAG_INPUTS = ("dags/", "sql/")
NO_CHANGE = "No change to what runs."


def dag_sections(repo: Path, base: str, base_tree: Path, outputs: set[str]) -> list[Section]:
    """DAGs, SQL and settings: both trees parsed (the base once per process)."""
    commit, dirty = trees.head_state(repo)
    old, new = snapshots([(base_tree, base), (repo, None if dirty else commit)])
    return [dags.section(old, new), sql.section(old, new), settings.section(old, new, outputs)]


def iam_section(repo, base_tree, base_templates, head_templates, given) -> tuple[Section, list]:
    """Accesses only when the trees differ in what a run depends on; statements always."""
    base_digest, head_digest = trees.digest(base_tree), trees.digest(repo)
    base = head = None
    if base_digest != head_digest:
        base = iam.find(repo, base_digest, given[0], "base")
        head = iam.find(repo, head_digest, given[1], "head")
    return iam.section(base, head, base_templates, head_templates)


def build(
    repo: Path, base_ref: str, base_accesses: Path | None = None, head_accesses: Path | None = None
) -> str:
    """The review of the working tree of `repo` against `base_ref`, as Markdown."""
    repo = trees.toplevel(repo)
    base = trees.resolve(repo, base_ref)
    changed = trees.changed_paths(repo, base)
    with tempfile.TemporaryDirectory(prefix="review-base-") as scratch:
        base_tree = trees.extract(repo, base, Path(scratch) / "base")
        old_templates, new_templates = templates.load_all(base_tree), templates.load_all(repo)
        sections = []
        if any(path.startswith(DAG_INPUTS) for path in changed):
            outputs = templates.outputs(new_templates)
            sections += dag_sections(repo, base, base_tree, outputs)
        iam_part, notes = iam_section(
            repo, base_tree, old_templates, new_templates, (base_accesses, head_accesses)
        )
        sections.append(iam_part)
        sections.append(infrastructure.section(old_templates, new_templates))
        sections.append(delivery.section(base_tree, repo))
    return render(base_ref, base, [s for s in sections if s.lines], notes)


def render(base_ref: str, base: str, sections: list[Section], notes: list[str]) -> str:
    """Title, verdict, the sections that have something, then what was not compared."""
    verdict = ", ".join(item for s in sections for item in s.verdict) or NO_CHANGE
    verdict = verdict if verdict.endswith(".") else verdict[0].upper() + verdict[1:] + "."
    against = base[:12] if base.startswith(base_ref) else f"{base_ref} ({base[:12]})"
    blocks = [f"## What this change does (against {against})", f"**{verdict}**"]
    blocks += [s.markdown().strip() for s in sections]
    if notes:
        blocks.append("\n".join(["Not compared:", "", *(f"- {note}" for note in notes)]))
    return "\n\n".join(blocks) + "\n"
