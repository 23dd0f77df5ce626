"""Pure planning: local objects + remote listing -> what to upload and delete."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from deploy.s3sync import RemoteObject
from deploy.sources import ARTIFACT_KEYS, MANAGED_PREFIX, LocalObject


@dataclass(frozen=True)
class Change:
    """One planned write, with the reason shown to people."""

    key: str
    reason: str


@dataclass
class Plan:
    """Everything a deploy would do to the bucket (environment decided later)."""

    uploads: list[Change] = field(default_factory=list)
    artifact_uploads: list[Change] = field(default_factory=list)
    # DAG-side files an artifact reads on install (the constraints file that
    # requirements.txt names): written before the artifacts and UpdateEnvironment.
    prerequisite_uploads: list[Change] = field(default_factory=list)
    deletes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    managed_count: int = 0
    dag_side_count: int = 0


def compute(
    local: dict[str, LocalObject],
    remote: dict[str, RemoteObject],
    prerequisites: Collection[str] = (),
) -> Plan:
    """Compare by sha256 only; anything under dags/ that the repo lacks is deleted.

    `prerequisites` are DAG-side keys the environment update needs in the bucket first.
    """
    plan = Plan()
    for key in sorted(local):
        if key in ARTIFACT_KEYS:
            target = plan.artifact_uploads
        elif key in prerequisites:
            target = plan.prerequisite_uploads
        else:
            target = plan.uploads
        current = remote.get(key)
        if current is None:
            target.append(Change(key, "new"))
        elif current.sha256 != local[key].sha256:
            target.append(Change(key, "changed"))
        else:
            plan.unchanged.append(key)
    managed = sorted(k for k in remote if k.startswith(MANAGED_PREFIX))
    plan.managed_count = len(managed)
    plan.dag_side_count = sum(1 for k in local if k.startswith(MANAGED_PREFIX))
    plan.deletes = [Change(k, "not in repo") for k in managed if k not in local]
    return plan


def delete_guard(plan: Plan, max_share: float, force: bool) -> str | None:
    """Why the deletes look like a mistake (wrong checkout, wrong folder), or None.

    A single delete is always allowed, so removing one DAG from a small
    repository never needs --force-delete.
    """
    count = len(plan.deletes)
    if force or count == 0:
        return None
    if plan.dag_side_count == 0:
        return (
            f"the repository has no DAG-side files but the bucket has {plan.managed_count}; "
            "wrong --repo? Use --force-delete if you really mean to empty dags/"
        )
    if count > 1 and count > max_share * plan.managed_count:
        return (
            f"plan deletes {count} of {plan.managed_count} objects under {MANAGED_PREFIX} "
            f"(more than {max_share:.0%}); check the plan and rerun with --force-delete"
        )
    return None
