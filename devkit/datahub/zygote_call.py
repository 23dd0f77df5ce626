"""The caller's half of devkit/datahub/zygote.py: run a script in its warm process.

Every `datahub` and `python` a container runs starts a fresh interpreter that
loads this file (the shims of devkit/emulator/ecs/ingestion.py), so it imports
only what calling needs: the server's imports would cost each call about twice
the interpreter's own start. Stdlib only; zygote.py and the shims load it by
path, as a script in .venv-datahub can.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys

SOCKET_ENV = "DEVKIT_DATAHUB_ZYGOTE"  # the folder of the zygotes' sockets, one per script
WARNING = "[local emulation] warm DataHub CLI not used ({}); running it cold"


def call(address: str, argv: list[str], cwd: str, env: dict, fds=(0, 1, 2)) -> int:
    """Run `argv` in the zygote with these descriptors; its exit status (negative: signal).

    Raises OSError if the zygote did not start it (unreachable, refused, died
    before), RuntimeError if the zygote died while it ran."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(address)
        data = json.dumps({"argv": argv, "cwd": cwd, "env": env}).encode() + b"\n"
        sent = socket.send_fds(sock, [data], list(fds))
        if sent < len(data):  # not an empty send: a refusal may already have closed it (EPIPE)
            sock.sendall(data[sent:])
        replies = sock.makefile("r")
        started = replies.readline()
        if started != "started\n":
            raise ConnectionError(started.strip() or "it closed the connection")
        status = replies.readline()
    if not status:
        raise RuntimeError("[local emulation] the warm DataHub CLI died during the run")
    return int(status)


def run(script: str, args: list[str]):
    """Run SCRIPT ARGS in its zygote (in the folder $DEVKIT_DATAHUB_ZYGOTE names) and exit
    with its status; without one (or if it refuses or is unreachable), exec it here."""
    folder = os.environ.get(SOCKET_ENV)
    if folder:
        address = os.path.join(folder, os.path.basename(script))
        try:
            status = call(address, [script, *args], os.getcwd(), dict(os.environ))
        except OSError as err:  # nothing ran
            print(WARNING.format(err), flush=True)
        except RuntimeError as err:  # it ran in part: running it again would not be a retry
            sys.exit(str(err))
        else:
            if status < 0:  # killed by a signal: die of the same one, as the script did
                with contextlib.suppress(OSError):  # SIGKILL's cannot (nor need) be reset
                    signal.signal(-status, signal.SIG_DFL)
                os.kill(os.getpid(), -status)
            sys.exit(status)
    argv = [script, *args] if os.access(script, os.X_OK) else [sys.executable, script, *args]
    os.execv(argv[0], argv)
