"""Direct access to moto's in-process S3 backend for the patched services.

The patches run inside the moto server thread, so they read and write objects in the
backend instead of calling the HTTP endpoint (no re-entrant requests, no credentials).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from moto.s3.models import FakeKey, s3_backends

ACCOUNT_ID = "123456789012"


def split_uri(uri: str) -> tuple[str, str]:
    """'s3://bucket/key/prefix' -> ('bucket', 'key/prefix')."""
    parts = urlsplit(uri)
    if parts.scheme not in ("s3", "s3a", "s3n") or not parts.netloc:
        raise ValueError(f"not an S3 URI: {uri!r}")
    return parts.netloc, parts.path.lstrip("/")


def _backend(account_id: str = ACCOUNT_ID):
    return s3_backends[account_id]["aws"]


def bucket_exists(bucket: str, account_id: str = ACCOUNT_ID) -> bool:
    return bucket in _backend(account_id).buckets


def list_keys(bucket: str, prefix: str = "", account_id: str = ACCOUNT_ID) -> list[str]:
    """Sorted keys (latest versions, no delete markers) starting with ``prefix``."""
    backend = _backend(account_id)
    if bucket not in backend.buckets:
        raise FileNotFoundError(f"The specified bucket does not exist: {bucket}")
    store = backend.buckets[bucket].keys
    return sorted(
        key for key, obj in store.items() if key.startswith(prefix) and isinstance(obj, FakeKey)
    )


def get_bytes(bucket: str, key: str, account_id: str = ACCOUNT_ID) -> bytes:
    obj = _backend(account_id).get_object(bucket, key)
    if obj is None:
        raise FileNotFoundError(f"s3://{bucket}/{key}")
    return obj.value


def put_bytes(bucket: str, key: str, data: bytes, account_id: str = ACCOUNT_ID) -> None:
    _backend(account_id).put_object(bucket, key, data)


def delete_key(bucket: str, key: str, account_id: str = ACCOUNT_ID) -> None:
    _backend(account_id).delete_object(bucket, key)
