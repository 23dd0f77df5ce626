"""Run the DAG validation command before anything is written to the bucket.

The deploy tool imports nothing from tests/ or devkit/: validation is a command
it runs from the repository root, configurable with --validate-command or
MWAA_DEPLOY_VALIDATE_COMMAND. The default is the gate's DAG validation tests.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

DEFAULT_COMMAND = (
    "python -m pytest -q -p no:cacheprovider "
    "tests/dags/test_dag_validation.py tests/dags/test_parse_offline.py"
)
TAIL_LINES = 25


def run_validation(repo: Path, command: str = DEFAULT_COMMAND) -> tuple[bool, str]:
    """(passed, output tail) of the validation command, run from the repo root.

    A leading `python` means this interpreter, so the command sees the same
    environment as the deploy tool.
    """
    argv = shlex.split(command)
    if not argv:
        return False, "the validation command is empty"
    if argv[0] == "python":
        argv[0] = sys.executable
    try:
        proc = subprocess.run(argv, cwd=repo, capture_output=True, text=True)
    except OSError as err:
        return False, f"cannot run the validation command {command!r}: {err}"
    lines = (proc.stdout + proc.stderr).splitlines()
    return proc.returncode == 0, "\n".join(lines[-TAIL_LINES:])
