"""The DAGs of each tree, parsed in one subprocess (deploy.dags.snapshot).

The deploy tool's process never imports Airflow, and a review must not import the
base's DAG code into its own process: the subprocess imports Airflow once and
forks a child per tree. Snapshots of commits are kept per commit for the life
of the process, so reviews against one base parse it once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from deploy.errors import DeployError

PROBE = "deploy.dags.snapshot"
_BY_COMMIT: dict[str, dict] = {}


def snapshots(trees: list[tuple[Path, str | None]], timeout: float = 600.0) -> list[dict]:
    """One snapshot per (tree, commit); commit None: a working tree, never cached."""
    todo = [(tree, commit) for tree, commit in trees if commit not in _BY_COMMIT]
    if todo:
        fresh = _parse([tree for tree, _ in todo], timeout)
        for (tree, commit), snapshot in zip(todo, fresh):
            if "failed" in snapshot:
                raise DeployError(f"cannot parse the DAGs of {tree}: {snapshot['failed']}")
            if commit:
                _BY_COMMIT[commit] = snapshot
        by_tree = {tree: s for (tree, _), s in zip(todo, fresh)}
    else:
        by_tree = {}
    return [_BY_COMMIT[c] if c in _BY_COMMIT else by_tree[t] for t, c in trees]


def _parse(trees: list[Path], timeout: float) -> list[dict]:
    """Run the probe once for all trees; a clear error when the environment lacks Airflow."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "snapshots.json"
        env = _airflow_env(Path(scratch))
        command = [sys.executable, "-m", PROBE, str(out), *map(str, trees)]
        try:
            proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise DeployError(f"parsing the DAGs took over {timeout:.0f}s") from None
        if proc.returncode != 0 or not out.is_file():
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise DeployError(
                "cannot parse the DAGs for the review (needs the dev environment: "
                f"devkit/bootstrap.sh, then .venv/bin/python -m deploy review):\n{tail}"
            )
        return json.loads(out.read_text())


def _airflow_env(scratch: Path) -> dict[str, str]:
    """A throw-away Airflow home unless the caller set one; Airflow's logs kept quiet."""
    env = dict(os.environ)
    env.setdefault("AIRFLOW_HOME", str(scratch / "airflow"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")
    return env
