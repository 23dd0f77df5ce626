"""Section 6, deploy: the S3 objects the deploy would put and delete, and the environment update.

The head's objects are planned against the base's as if the base were deployed
(deploy/plan.py on the content-hash manifests of both trees); whether MWAA must
update the environment is deploy/environment.py's own decision, on the artifact
hashes: a plugins.zip, requirements.txt or startup.sh that changed.
"""

from __future__ import annotations

from pathlib import Path

from deploy.environment import decide_update
from deploy.plan import compute
from deploy.review.section import Section, code, plural
from deploy.s3sync import RemoteObject
from deploy.shipment import collect_local
from deploy.sources import ARTIFACTS

EFFECTS = {
    "plugins.zip": "every scheduler, worker and web server restarts with the new plugins",
    "requirements.txt": "every component reinstalls the Python packages (an install running "
    "past ~20 minutes fails and MWAA rolls back)",
    "startup.sh": "the startup script runs again on every component",
}
UPDATE = (
    "**MWAA updates the environment** (UpdateEnvironment, about 10–30 minutes; workers are "
    "replaced GRACEFUL by default: running tasks may finish, up to 12 h)"
)


def manifest(tree: Path) -> dict[str, str]:
    """Bucket key -> sha256 of everything the tree deploys (the deploy manifest's objects)."""
    return {key: obj.sha256 for key, obj in collect_local(tree).items()}


def as_deployed(objects: dict[str, str]) -> dict[str, RemoteObject]:
    return {key: RemoteObject(key, etag="", sha256=sha) for key, sha in objects.items()}


def environment_update(base: dict[str, str], head: dict[str, str]) -> list[str]:
    """Artifacts whose change makes MWAA update, by environment.decide_update's rule."""
    running = {}
    for artifact in ARTIFACTS:
        if artifact.key in base:
            running[f"{artifact.param}S3Path"] = artifact.key
            running[f"{artifact.param}S3ObjectVersion"] = base[artifact.key]
    wanted = {a.key: head[a.key] for a in ARTIFACTS if a.key in head}
    return list(decide_update(running, wanted).reasons)


def section(base_tree: Path, head_tree: Path) -> Section:
    """The deploy section: object writes, then the environment update if any."""
    result = Section("Deploy")
    local = collect_local(head_tree)
    base, head = manifest(base_tree), {key: obj.sha256 for key, obj in local.items()}
    plan = compute(local, as_deployed(base))
    puts = plan.uploads + plan.artifact_uploads
    result.lines += [f"- put {code(c.key)} ({c.reason})" for c in puts]
    result.lines += [f"- delete {code(c.key)} ({c.reason})" for c in plan.deletes]
    gone = [a.key for a in ARTIFACTS if a.key in base and a.key not in head]
    result.lines += [
        f"- {code(key)} no longer built: the environment keeps its last one" for key in gone
    ]
    if puts or plan.deletes:
        deletes = f", {len(plan.deletes)} to delete" if plan.deletes else ""
        result.verdict.append(f"{plural(len(puts), 'S3 object')} to put{deletes}")
    artifacts = environment_update(base, head)
    if artifacts:
        result.lines += ["", f"{UPDATE}, because of {', '.join(map(code, artifacts))}:", ""]
        result.lines += [f"- {code(key)}: {EFFECTS[key]}" for key in artifacts]
        result.verdict.append("1 environment update")
    elif puts or plan.deletes:
        result.lines += ["", "No environment update: MWAA picks DAG-side files up within ~30 s."]
    return result
