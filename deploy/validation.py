"""Run the DAG validation tests before anything is written to the bucket."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

VALIDATION_TEST = "tests/dags/test_dag_validation.py"
TAIL_LINES = 25


def run_validation(repo: Path) -> tuple[bool, str]:
    """(passed, output tail) of the DAG validation tests, run from the repo root."""
    if not (repo / VALIDATION_TEST).is_file():
        return False, f"{VALIDATION_TEST} not found under {repo}"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", VALIDATION_TEST],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    lines = (proc.stdout + proc.stderr).splitlines()
    return proc.returncode == 0, "\n".join(lines[-TAIL_LINES:])
