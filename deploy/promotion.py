"""Promotion: an environment gets the objects its predecessor deployed, byte for byte.

`python -m deploy export --env staging --out DIR` (staging's role) reads staging's
manifest and every object it lists from staging's bucket into DIR, each checked
against the manifest's sha256. The workflow hands DIR to the production job as an
artifact, and `python -m deploy deploy --env production --from DIR` uploads exactly
those objects: plugins.zip is not rebuilt and nothing is collected from the tree.
The deploy refuses a folder from another environment than the one it is promoted
from, of another commit than the one checked out, or whose files differ from its
manifest; an environment promoted from another refuses to deploy without one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from deploy import manifest as manifest_mod
from deploy import s3sync
from deploy.errors import DeployError
from deploy.sources import MANIFEST_KEY, LocalObject, sha256_bytes

OBJECTS = "objects"


def export(s3: Any, bucket: str, env: str, out: Path, say: Callable[[str], None]) -> dict:
    """Write the bucket's manifest and the objects it lists (the versions it names) to
    `out`; refuse when the bucket no longer holds what the manifest says."""
    document = s3sync.read_manifest(s3, bucket)
    if not document:
        raise DeployError(f"bucket {bucket} has no {MANIFEST_KEY}: deploy {env} first")
    if document.get("env") not in (None, env):
        raise DeployError(f"{bucket}'s manifest is environment {document['env']}'s, not {env}'s")
    if out.exists() and any(out.iterdir()):
        raise DeployError(f"{out} is not empty: export into a new folder")
    for key, entry in manifest_mod.entries(document).items():
        version = {"VersionId": entry["version_id"]} if entry.get("version_id") else {}
        body = s3.get_object(Bucket=bucket, Key=key, **version)["Body"].read()
        if sha256_bytes(body) != entry["sha256"]:
            raise DeployError(
                f"{key} in {bucket} differs from {env}'s manifest (changed outside deploy): "
                f"redeploy {env}, then export again"
            )
        path = out / OBJECTS / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    (out / MANIFEST_KEY).write_bytes(manifest_mod.dumps({**document, "env": env}))
    say(f"exported {len(manifest_mod.entries(document))} objects of commit {document['commit']}")
    return document


def load(folder: Path, promote_from: str, commit: str) -> tuple[dict, dict[str, LocalObject]]:
    """(the manifest, key -> object) of an export, once it is proven to be what
    `promote_from` deployed of `commit`."""
    path = folder / MANIFEST_KEY
    if not path.is_file():
        raise DeployError(f"{folder} holds no {MANIFEST_KEY}: pass the folder `export` wrote")
    document = manifest_mod.loads(path.read_bytes())
    if document.get("env") != promote_from:
        raise DeployError(
            f"{folder} holds environment {document.get('env')!r}'s deploy; this environment "
            f"is promoted from {promote_from!r} only (infra/environments/)"
        )
    if document.get("commit") != commit:
        raise DeployError(
            f"{promote_from} deployed commit {document.get('commit')}, not {commit}: only a "
            f"commit {promote_from} has deployed can be promoted. Deploy {commit} to "
            f"{promote_from} first (or check out {document.get('commit')})"
        )
    if document.get("validation") != "passed":
        raise DeployError(f"{promote_from}'s deploy of {commit} skipped DAG validation")
    return document, _objects(folder, manifest_mod.entries(document))


def _objects(folder: Path, entries: dict[str, dict[str, str]]) -> dict[str, LocalObject]:
    objects = {}
    for key, entry in entries.items():
        path = folder / OBJECTS / key
        if not path.is_file() or sha256_bytes(path.read_bytes()) != entry["sha256"]:
            raise DeployError(f"{path} is missing or differs from the export's manifest")
        objects[key] = LocalObject(key, entry["sha256"], path=path)
    return objects


def summary(document: dict) -> str:
    """One line for the log: what is being promoted."""
    return json.dumps(
        {k: document.get(k) for k in ("env", "commit", "deployed_at")}, separators=(", ", ": ")
    )
