"""--sample-night: one night of sample extracts in the landing bucket, before the unpause.

Which night: the one the scheduler runs first when a DAG is unpaused (catchup is
off, so the latest complete interval: yesterday, UTC, for the midnight schedule),
so the first automatic runs find their extracts instead of waiting three hours.

Where the files come from: a directory whose tree is the landing bucket's keys
(`--sample-night DIR`), or, without DIR, the generator of the repository deployed
(--repo), run there in a subprocess (`python -m deploy.sample_data.night`) so the
night matches that tree's DAGs.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from botocore.exceptions import ClientError

from deploy.errors import DeployError

MARKER = "_SUCCESS"  # written after its folder's data: the sensors wait for it
GENERATOR = "deploy.sample_data.night"


def first_night(now: datetime | None = None) -> date:
    """The ds of the first scheduled run after an unpause: yesterday (UTC)."""
    return ((now or datetime.now(timezone.utc)) - timedelta(days=1)).date()


def generate(repo: Path, day: date, out: Path) -> Path:
    """Run the repository's generator into `out`; a clear error naming it on failure."""
    command = [sys.executable, "-m", GENERATOR, "--out", str(out), "--day", day.isoformat()]
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        raise DeployError(
            f"the sample generator failed ({' '.join(command[1:])}, in {repo}): "
            f"{done.stderr.strip()[-800:]}; pass --sample-night DIR with the files instead"
        )
    return out


def _files(directory: Path) -> list[tuple[str, Path]]:
    """(key, path), markers last so a sensor never sees a folder before its data."""
    found = [(p.relative_to(directory).as_posix(), p) for p in directory.rglob("*") if p.is_file()]
    return sorted(found, key=lambda kp: (Path(kp[0]).name == MARKER, kp[0]))


def _same(s3, bucket: str, key: str, body: bytes) -> bool:
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return head.get("ETag", "").strip('"') == hashlib.md5(body).hexdigest()  # noqa: S324


def land(s3, bucket: str, directory: Path) -> tuple[int, int]:
    """Upload what differs; (uploaded, unchanged). A rerun uploads nothing."""
    if not directory.is_dir():
        raise DeployError(f"--sample-night {directory}: not a directory of landing files")
    uploaded = unchanged = 0
    for key, path in _files(directory):
        body = path.read_bytes()
        if _same(s3, bucket, key, body):
            unchanged += 1
            continue
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        uploaded += 1
    return uploaded, unchanged


def land_night(s3, bucket: str, repo: Path, given: Path | None, day: date) -> tuple[int, int]:
    """The given directory, or the generator's files for `day`, landed in `bucket`."""
    if given is not None:
        return land(s3, bucket, given)
    with tempfile.TemporaryDirectory(prefix="sample-night-") as tmp:
        return land(s3, bucket, generate(repo, day, Path(tmp)))
