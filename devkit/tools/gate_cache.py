"""Reruns that do no work: the gate's last passing outcome, keyed on everything it reads.

A second `./run_tests_locally.sh` with nothing changed since one that passed prints
that run's summary instead of running again. The key is the content of every file the
gate can read in the repository (tracked and untracked, not git-ignored: `git add -A`
into a throw-away index, then `git write-tree`), which holds requirements/lock.txt and
so the installed environment; the gate's arguments; the Python version; and every
DEVKIT_*, AIRFLOW_*, AWS_* and PYTEST_* setting. Any change, even a new untracked file,
makes a new key and a full run. Only a passing run is recorded.

Local only: with CI set (GitHub Actions sets CI=true) or DEVKIT_GATE_CACHE=off (.ci/run
exports it), nothing is looked up or recorded, and the records live in
.cache/ (git-ignored), so a fresh clone always runs everything. Standard library only.

    python -m devkit.tools.gate_cache key ARGS...     the key, or exit 1 when off
    python -m devkit.tools.gate_cache show KEY        a recorded pass's summary, or exit 1
    python -m devkit.tools.gate_cache record KEY      store the summary read from stdin
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from devkit.paths import CACHE_DIR, REPO

SWITCH = "DEVKIT_GATE_CACHE"
RECORDS = CACHE_DIR / "gate-outcomes"
SETTINGS = ("DEVKIT_", "AIRFLOW_", "AWS_", "PYTEST_")


def enabled(env=os.environ) -> bool:
    """Off in CI (any non-empty CI but "false"/"0") and with DEVKIT_GATE_CACHE=off."""
    ci = env.get("CI", "").strip().lower()
    if ci not in ("", "false", "0"):
        return False
    return env.get(SWITCH, "on").strip().lower() not in ("off", "0", "false", "no")


def tree_id(repo: Path = REPO) -> str:
    """The git tree of the working copy as it is, untracked files in, ignored ones out."""
    git_dir = subprocess.run(
        ["git", "rev-parse", "--git-path", "index"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as scratch:
        index = Path(scratch) / "index"
        if (repo / git_dir).is_file():
            # Its stat data spares re-hashing; copy2 keeps its mtime, which git needs to
            # re-read files changed in the second the index was written ("racy git").
            shutil.copy2(repo / git_dir, index)
        env = {**os.environ, "GIT_INDEX_FILE": str(index)}
        for command in (["git", "add", "-A", "."], ["git", "write-tree"]):
            done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(command)} failed in {repo}: {done.stderr.strip()}")
        return done.stdout.strip()


def key(args: list[str], repo: Path = REPO, env=os.environ) -> str:
    digest = hashlib.sha256()
    settings = sorted((k, v) for k, v in env.items() if k.startswith(SETTINGS))
    for part in (tree_id(repo), sys.version, repr(args), repr(settings)):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:20]


def show(found_key: str, records: Path = RECORDS) -> str | None:
    path = records / f"{found_key}.txt"
    return path.read_text() if path.is_file() else None


def record(found_key: str, summary: str, records: Path = RECORDS) -> None:
    records.mkdir(parents=True, exist_ok=True)
    partial = records / f".{found_key}.partial"
    partial.write_text(summary)
    partial.replace(records / f"{found_key}.txt")  # never half a record


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("key", "show", "record"):
        print(__doc__, file=sys.stderr)
        return 2
    if not enabled():
        return 1
    command, rest = argv[0], argv[1:]
    if command == "key":
        try:
            print(key(rest))
        except (OSError, RuntimeError, subprocess.CalledProcessError) as err:
            print(f"gate: no rerun cache ({err}); running everything", file=sys.stderr)
            return 1
        return 0
    if command == "show":
        found = show(rest[0])
        if found is None:
            return 1
        print(found, end="")
        return 0
    record(rest[0], sys.stdin.read())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
