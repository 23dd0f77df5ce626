"""What the deploy ships: every bucket object, built from a working tree.

The one mapping from the repository to the MWAA bucket, used by the deploy
(deploy/runner.py), the review (deploy/review/delivery.py) and MWAA's own venv
(devkit/mwaa/env.py lays the tree out as MWAA does).
"""

from __future__ import annotations

from pathlib import Path

from deploy import references
from deploy.errors import DeployError
from deploy.plugins_zip import plugins_object
from deploy.sources import ARTIFACTS, LocalObject, collect_dag_side, sha256_bytes

REQUIREMENTS = next(a for a in ARTIFACTS if a.param == "Requirements")


def collect_local(repo: Path) -> dict[str, LocalObject]:
    """Every object the bucket should hold, built from the working tree."""
    objects = collect_dag_side(repo)
    for artifact in ARTIFACTS:
        if artifact.local is None:
            built = plugins_object(repo)
            if built is not None:
                objects[built.key] = built
            continue
        path = repo / artifact.local
        if path.is_file():
            objects[artifact.key] = LocalObject(artifact.key, sha256_bytes(path.read_bytes()), path)
    return objects


def prerequisite_keys(local: dict[str, LocalObject]) -> list[str]:
    """DAG-side keys requirements.txt reads on install; refuses a name the deploy never writes."""
    requirements = local.get(REQUIREMENTS.key)
    if requirements is None:
        return []
    keys = references.dag_side_keys(requirements.read().decode())
    for key in keys:
        if key not in local:
            raise DeployError(
                f"{REQUIREMENTS.local} names {references.MWAA_HOME}{key}, but the deploy writes "
                f"no {key}: map that file in SOURCES (deploy/sources.py) or fix the line"
            )
    return keys
