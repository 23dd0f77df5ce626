"""The deploy manifest: what the tool last wrote, so drift can be told apart.

It lives at the bucket root (``deploy-manifest.json``), not under ``dags/``:
MWAA copies everything under ``dags/`` to every scheduler and worker, and the
manifest is for people and this tool, not for Airflow. Bucket versioning keeps
every earlier manifest as an older version.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from deploy import __version__

FORMAT = 1


def git_commit(repo: Path) -> tuple[str, bool]:
    """(commit, dirty) of the working tree; GITHUB_SHA when git is unavailable."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        porcelain = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return commit, bool(porcelain.strip())
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("GITHUB_SHA", "unknown"), False


def build(
    repo: Path,
    objects: dict[str, dict[str, str]],
    *,
    environment: str | None,
    validation: str,
    env: str | None = None,
    promoted_from: str | None = None,
) -> dict:
    """Assemble the manifest document (`env`: infra/environments/ name; `promoted_from`:
    the environment whose objects these are, uploaded unchanged)."""
    commit, dirty = git_commit(repo)
    extra = {"env": env} if env else {}
    if promoted_from:
        extra["promoted_from"] = promoted_from
    return {
        **extra,
        "format": FORMAT,
        "tool": f"deploy {__version__}",
        "commit": commit,
        "dirty": dirty,
        "deployed_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "environment": environment,
        "validation": validation,
        "objects": dict(sorted(objects.items())),
    }


def dumps(document: dict) -> bytes:
    """Stable JSON so the file diffs well between versions."""
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def loads(data: bytes) -> dict:
    """Parse a manifest; an unreadable one counts as absent (hashes get re-checked)."""
    try:
        document = json.loads(data)
    except ValueError:
        return {}
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return {}
    return document


def entries(document: dict | None) -> dict[str, dict[str, str]]:
    """Key -> {sha256, etag[, version_id]} from a manifest (empty if none)."""
    if not document:
        return {}
    objects = document.get("objects", {})
    return objects if isinstance(objects, dict) else {}
