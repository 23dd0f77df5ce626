"""Human-readable tables and the one-line summary."""

from __future__ import annotations

from deploy.plan import Plan
from deploy.runner import Drift, Summary


def plan_table(plan: Plan, env_reasons: dict[str, str], environment: str | None) -> str:
    """The dry-run table: one row per write, then counts and the environment verdict."""
    uploads = plan.prerequisite_uploads + plan.artifact_uploads + plan.uploads
    rows = [("upload", c.key, c.reason) for c in uploads]
    rows += [("delete", c.key, c.reason) for c in plan.deletes]
    width = max([len(r[1]) for r in rows] + [20])
    lines = [f"{'ACTION':<9} {'KEY':<{width}} REASON"]
    lines += [f"{a:<9} {k:<{width}} {r}" for a, k, r in rows]
    lines.append(f"{'unchanged':<9} {len(plan.unchanged)} objects")
    if environment is None:
        lines.append("environment: not checked (no --environment / MWAA_ENVIRONMENT)")
    elif env_reasons:
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(env_reasons.items()))
        lines.append(f"environment {environment}: WOULD BE UPDATED ({detail})")
    else:
        lines.append(f"environment {environment}: no update needed")
    return "\n".join(lines)


def summary_line(summary: Summary, environment: str) -> str:
    """Final line of a deploy."""
    if summary.environment_update:
        env = f"environment {environment} updated"
    else:
        env = f"environment {environment} not updated"
    return (
        f"done: uploaded {len(summary.uploaded)}, deleted {len(summary.deleted)}, "
        f"unchanged {summary.unchanged}, {env}, manifest "
        f"{'written' if summary.manifest_written else 'unchanged'}, {summary.seconds:.1f}s"
    )


def drift_table(drift: list[Drift]) -> str:
    """Status output: nothing to say is the good case."""
    if not drift:
        return "in sync: bucket, repository, manifest and environment agree"
    width = max(len(d.key) for d in drift)
    lines = [f"{'STATE':<20} {'KEY':<{width}} DETAIL"]
    lines += [f"{d.kind:<20} {d.key:<{width}} {d.detail}" for d in drift]
    return "\n".join(lines)
