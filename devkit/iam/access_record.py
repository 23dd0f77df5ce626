"""The access record of a local run: which role made which AWS call on which resource.

`python -m deploy review` compares the base's record with the head's (docs/review.md).
Resources are written with the stack's logical ids in place of the local names
(`arn:aws:s3:::${LakeBucket}/bronze/*`), so records of two runs compare whatever the
local names were, and an access outside the stack's own resources stands out: it has
no `${...}`. S3 keys are cut to their first folder, as the run's summary shows them.
Each record is stored under the digest of the tree it ran on (deploy.review.trees.digest),
so a review finds the one for its base and its head and never uses a stale one.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from devkit.iam.check import _area
from devkit.iam.recorder import Access
from devkit.paths import AIRFLOW_HOME, REPO

FORMAT = 1
RECORDS_DIR = AIRFLOW_HOME / "access-records"


def logical(resource: str, names: dict[str, str]) -> str:
    """Local physical names replaced by `${LogicalId}`, longest name first."""
    for logical_id, name in sorted(names.items(), key=lambda item: -len(item[1])):
        if name:
            resource = re.sub(
                rf"(?<=[:/]){re.escape(name)}(?=$|[/:*])", f"${{{logical_id}}}", resource
            )
    return resource


def entries(accesses, names: dict[str, str]) -> list[dict]:
    """Distinct (role, action, resource) of the run's accesses, sorted."""
    seen = {
        (a.principal, a.action, logical(_area(a.resource), names))
        for a in accesses
        if isinstance(a, Access)
    }
    return [{"role": r, "action": a, "resource": s} for r, a, s in sorted(seen)]


def _commit(repo: Path) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    return proc.stdout.strip() or "unknown"


def write(
    accesses,
    names: dict[str, str],
    dag_ids: list[str],
    complete: bool,
    records_dir: Path = RECORDS_DIR,
    repo: Path = REPO,
) -> Path:
    """Store the record under the tree's digest (and as latest.json); returns its path."""
    from deploy.review.trees import digest

    tree = digest(repo)
    document = {
        "format": FORMAT,
        "tree": tree,
        "commit": _commit(repo),
        "written_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dags": sorted(dag_ids),
        "complete": complete,
        "accesses": entries(accesses, names),
    }
    records_dir.mkdir(parents=True, exist_ok=True)
    path = records_dir / f"{tree}.json"
    text = json.dumps(document, indent=1) + "\n"
    path.write_text(text)
    (records_dir / "latest.json").write_text(text)
    return path
