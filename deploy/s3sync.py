"""Reading and writing the bucket; every write goes through this module.

Change detection is by sha256 stored in ``x-amz-meta-sha256``; the manifest's
ETag per key lets a steady-state run skip the per-object HEAD requests.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from deploy import manifest as manifest_mod
from deploy.errors import DeployError
from deploy.sources import ARTIFACT_KEYS, MANAGED_PREFIX, MANIFEST_KEY, LocalObject

DELETE_BATCH = 1000


@dataclass
class RemoteObject:
    """What the bucket holds under one key (sha256/version only when looked up)."""

    key: str
    etag: str
    sha256: str | None = None
    version_id: str | None = None


def versioning_status(s3: Any, bucket: str) -> str:
    """'Enabled', 'Suspended' or 'Disabled'; also proves the bucket exists."""
    return s3.get_bucket_versioning(Bucket=bucket).get("Status", "Disabled")


def require_versioning(s3: Any, bucket: str) -> None:
    """MWAA pins plugins/requirements by object version: refuse without it."""
    status = versioning_status(s3, bucket)
    if status != "Enabled":
        raise DeployError(
            f"bucket {bucket!r} has versioning {status}; MWAA needs it Enabled. Fix: "
            f"aws s3api put-bucket-versioning --bucket {bucket} "
            "--versioning-configuration Status=Enabled"
        )


def list_prefix(s3: Any, bucket: str, prefix: str) -> dict[str, RemoteObject]:
    """All current objects under a prefix."""
    found: dict[str, RemoteObject] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = RemoteObject(item["Key"], item["ETag"])
    return found


def find_object(s3: Any, bucket: str, key: str) -> RemoteObject | None:
    """Existence check by listing, which the prefix-scoped IAM policy allows."""
    return list_prefix(s3, bucket, key).get(key)


def head(s3: Any, bucket: str, obj: RemoteObject) -> RemoteObject:
    """Fill in the stored sha256 and the current version id."""
    response = s3.head_object(Bucket=bucket, Key=obj.key)
    obj.sha256 = response.get("Metadata", {}).get("sha256")
    obj.version_id = response.get("VersionId")
    obj.etag = response.get("ETag", obj.etag)
    return obj


def read_manifest(s3: Any, bucket: str) -> dict | None:
    """The last manifest this tool wrote, or None."""
    if find_object(s3, bucket, MANIFEST_KEY) is None:
        return None
    body = s3.get_object(Bucket=bucket, Key=MANIFEST_KEY)["Body"].read()
    return manifest_mod.loads(body) or None


def remote_state(
    s3: Any, bucket: str, local_keys: Iterable[str], known: dict[str, dict[str, str]]
) -> dict[str, RemoteObject]:
    """Bucket view of the managed keys, with sha256 wherever a comparison needs it."""
    remote = list_prefix(s3, bucket, MANAGED_PREFIX)
    wanted = set(local_keys)
    for key, obj in remote.items():
        if key not in wanted:
            continue  # a delete candidate: no hash needed
        entry = known.get(key, {})
        if entry.get("etag") == obj.etag and entry.get("sha256"):
            obj.sha256 = entry["sha256"]
        else:
            head(s3, bucket, obj)
    for key in sorted(ARTIFACT_KEYS):
        obj = find_object(s3, bucket, key)
        if obj is not None:
            remote[key] = head(s3, bucket, obj)
    return remote


def upload(s3: Any, bucket: str, obj: LocalObject) -> RemoteObject:
    """PutObject with the content hash as metadata; returns the new ETag/version."""
    body = obj.read()
    content_type = mimetypes.guess_type(obj.key)[0] or "application/octet-stream"
    response = s3.put_object(
        Bucket=bucket,
        Key=obj.key,
        Body=body,
        ContentType=content_type,
        Metadata={"sha256": obj.sha256},
    )
    return RemoteObject(obj.key, response["ETag"], obj.sha256, response.get("VersionId"))


def write_manifest(s3: Any, bucket: str, document: dict) -> None:
    """Store the manifest at the bucket root (outside what MWAA copies)."""
    s3.put_object(
        Bucket=bucket,
        Key=MANIFEST_KEY,
        Body=manifest_mod.dumps(document),
        ContentType="application/json",
    )


def delete(s3: Any, bucket: str, keys: list[str], say: Callable[[str], None]) -> None:
    """Delete DAG-side keys in batches; refuse anything outside the managed prefix."""
    outside = [k for k in keys if not k.startswith(MANAGED_PREFIX)]
    if outside:
        raise DeployError(f"refusing to delete outside {MANAGED_PREFIX}: {outside[:5]}")
    for start in range(0, len(keys), DELETE_BATCH):
        batch = keys[start : start + DELETE_BATCH]
        response = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
        )
        errors = response.get("Errors", [])
        if errors:
            first = errors[0]
            raise DeployError(
                f"{len(errors)} deletes failed, e.g. {first.get('Key')}: {first.get('Code')} "
                f"{first.get('Message')}; rerun deploy to finish"
            )
        for key in batch:
            say(f"  deleted   {key}")
