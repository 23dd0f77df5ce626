"""Where output goes while Airflow runs: every byte of a task into its own log file.

Beside paths.py, below both the patches (devkit/patches/for_airflow.py routes each
task's output with these) and the DagRun runner (devkit/airflow/dagrun.py), so the
runner may apply the patches without the patches importing the runner's package.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Send everything written to stdout/stderr (file descriptors 1 and 2) to `path`.

    At the descriptor level, so prints from Airflow itself, structlog, warnings
    and child processes all land in the file, not on the terminal.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = os.dup(1), os.dup(2)
    streams = sys.stdout, sys.stderr
    with open(path, "ab") as target, open(path, "a", buffering=1, errors="replace") as text:
        os.dup2(target.fileno(), 1)
        os.dup2(target.fileno(), 2)
        # Python-level streams too: a test runner may have replaced them with its own.
        sys.stdout = sys.stderr = text
        try:
            yield
        finally:
            text.flush()
            sys.stdout, sys.stderr = streams
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


@contextlib.contextmanager
def log_records_to(path: Path) -> Iterator[None]:
    """Route stdlib logging records to `path` alone for the block.

    Records would otherwise reach whatever handlers are installed (pytest's
    capture, Airflow's console handler) instead of the task's log file.
    """
    root = logging.getLogger()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    saved = root.handlers[:]
    root.handlers = [handler]
    try:
        yield
    finally:
        root.handlers = saved
        handler.close()
