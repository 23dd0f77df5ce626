"""`--ui`: `airflow standalone` in its own process group, stopped whole.

`airflow standalone` starts a scheduler, triggerer, DAG processor, API server
and their workers, and SIGTERM to it alone leaves them running. So it starts
in a new session (its own process group); Ctrl-C or SIGTERM to the run command
sends SIGTERM to the whole group and to every descendant, waits a short grace
period, then SIGKILLs whatever is left.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import psutil

GRACE_SECONDS = 10.0


class Stop(Exception):
    """Raised in the main thread by SIGINT/SIGTERM while the UI runs."""


def _raise_stop(signum, frame) -> None:
    raise Stop(signal.Signals(signum).name)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def stop_group(process: subprocess.Popen, grace: float = GRACE_SECONDS) -> None:
    """SIGTERM the process group and all descendants; SIGKILL what outlives `grace`."""
    try:
        members = [psutil.Process(process.pid)]
        members += members[0].children(recursive=True)
    except psutil.NoSuchProcess:
        members = []
    _signal_all(process.pid, members, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(process, members):
        time.sleep(0.1)
    if _alive(process, members):
        _signal_all(process.pid, members, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(process, members):
            time.sleep(0.05)


def _signal_all(pgid: int, members: list[psutil.Process], signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass
    for member in members:  # descendants that left the group (setsid) too
        try:
            member.send_signal(signum)
        except psutil.Error:
            pass


def _alive(process: subprocess.Popen, members: list[psutil.Process]) -> bool:
    process.poll()  # reap the leader, or it stays a zombie
    for member in members:
        try:
            if member.is_running() and member.status() != psutil.STATUS_ZOMBIE:
                return True
        except psutil.Error:
            continue
    return False


def serve(
    command: list[str],
    port: int,
    log_path: Path,
    say: Callable[[str], None] = print,
    env: dict[str, str] | None = None,
    grace: float = GRACE_SECONDS,
) -> int:
    """Run `command` in its own process group until it exits, Ctrl-C or SIGTERM."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    announced = False
    try:
        while process.poll() is None:
            if not announced and port_open(port):
                say(f"UI ready at http://localhost:{port} (Ctrl-C or SIGTERM stops everything)")
                announced = True
            time.sleep(0.5)
        say(f"the UI process exited with code {process.returncode}; its log: {log_path}")
        return process.returncode or 1
    except Stop as why:
        say(f"{why}: stopping the UI and every process it started ...")
        return 0
    finally:
        stop_group(process, grace)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def airflow_standalone_command() -> tuple[list[str], dict[str, str]]:
    """`airflow standalone` from this venv; its components are `airflow ...` subprocesses."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return [sys.executable, "-m", "airflow", "standalone"], {**os.environ, "PATH": path}
