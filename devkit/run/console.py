"""What the run command shows a person: a live line per DAG run, then tables.

Everything else (Airflow's and the libraries' output) goes to log files, so
the terminal holds only what this module writes.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from devkit.airflow.dagrun import DagRunResult


class Console:
    """Writes to the terminal the process started with, even while fds 1/2 go to a log."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
        self.live = self.stream.isatty()
        self._open_line = False

    def say(self, text: str = "") -> None:
        self._end_live_line()
        print(text, file=self.stream, flush=True)

    def progress(self, label: str):
        """A callback for run_dag: one line, rewritten in place on a terminal."""

        def update(done: int, total: int, current: str) -> None:
            if self.live:
                line = f"  {label}  {done}/{total} tasks  {current}"[:118]
                self.stream.write("\r\x1b[2K" + line)
                self.stream.flush()
                self._open_line = True

        return update

    def _end_live_line(self) -> None:
        if self._open_line:
            self.stream.write("\r\x1b[2K")
            self._open_line = False


def run_header(result: DagRunResult) -> str:
    return (
        f"{result.dag_id}  [logical date {result.logical_date:%Y-%m-%d %H:%M}]  "
        f"{result.state.upper()}  ({result.seconds:.1f}s)"
    )


def task_table(result: DagRunResult, log_lines: int = 8) -> list[str]:
    """One line per task; a failed task adds the end of its log and the log's path."""
    width = max((len(t.task_id) for t in result.tasks), default=10) + 2
    lines = []
    for task in result.tasks:
        mark = "ok " if task.state == "success" else "!! "
        lines.append(f"  {mark}{task.task_id:<{width}}{task.state:<16}{task.seconds:6.1f}s")
        if task.state == "failed":
            lines += [f"       | {line}" for line in task.log_tail(log_lines)]
            lines.append(f"       log: {task.log}")
    return lines


def format_value(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)
