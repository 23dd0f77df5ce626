"""`--ui` stops everything it started: no process of its group, no listener on its port.

A stand-in for `airflow standalone` behaves like the real one at its worst: its
components ignore SIGTERM, one of them holds the port, and the leader does too.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import psutil

from devkit.run.ui import port_open

STUBBORN_COMPONENT = textwrap.dedent("""
    import signal, socket, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", int(sys.argv[1])))
    server.listen()
    time.sleep(600)
    """)
STANDALONE_STAND_IN = textwrap.dedent("""
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for _ in range(3):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    subprocess.Popen([sys.executable, sys.argv[1], sys.argv[2]])
    time.sleep(600)
    """)
RUN_COMMAND_STAND_IN = textwrap.dedent("""
    import sys
    from pathlib import Path
    from devkit.run.ui import serve
    serve([sys.executable, sys.argv[1], sys.argv[2], sys.argv[3]], int(sys.argv[3]),
          Path(sys.argv[4]), grace=1.0)
    """)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def test_sigterm_stops_the_whole_group_and_frees_the_port(tmp_path):
    port = free_port()
    (tmp_path / "component.py").write_text(STUBBORN_COMPONENT)
    (tmp_path / "standalone.py").write_text(STANDALONE_STAND_IN)
    run_command = subprocess.Popen(
        [sys.executable, "-c", RUN_COMMAND_STAND_IN, str(tmp_path / "standalone.py"),
         str(tmp_path / "component.py"), str(port), str(tmp_path / "ui.log")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert wait_for(lambda: port_open(port)), "the stand-in never listened"
    (ui_leader,) = psutil.Process(run_command.pid).children()
    pgid = os.getpgid(ui_leader.pid)
    assert pgid != os.getpgid(run_command.pid), "the UI must run in its own process group"
    assert len(group_members(pgid)) == 5

    run_command.send_signal(signal.SIGTERM)
    output, _ = run_command.communicate(timeout=30)

    assert run_command.returncode == 0, output
    assert "stopping the UI" in output
    assert group_members(pgid) == [], "processes of the UI's group survived"
    assert not port_open(port), f"something still listens on {port}"
