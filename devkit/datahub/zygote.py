"""Warm DataHub processes ("zygotes") for the local ECS emulation.

A fresh `datahub` spends seconds importing DataHub before it reads its recipe,
once per ingestion container; so does devkit/datahub/validate.py. A zygote
imports what one of these scripts imports, once, then forks a child per request
that runs the script as `python SCRIPT ARGS` would, with the caller's argv,
directory, environment and stdin/stdout/stderr (passed over a Unix socket): the
output and the exit status are the script's own. Runs with .venv-datahub's
python: stdlib and DataHub only (`Zygotes`, the emulation's side, is stdlib only).

    python zygote.py serve FOLDER SCRIPT...  # their zygotes (started by Zygotes)
    python zygote.py SCRIPT ARGS...          # run SCRIPT in its zygote, or here

The CLI's and the validator's zygotes are one process tree (`SHARED`): what both
import and leaves logging alone (`BASE`) is imported once, before the fork.

The caller's half (`run`, `call`) is zygote_call.py, which the shims load alone.

One zygote serves the interpreter itself (`PYTHON`): the container's `python -c
CODE ARGS` and `python FILE ARGS`, which fetch the recipes with boto3 before the
CLI starts, run there as they would in a new interpreter.

A child must not differ from a fresh process but in speed (it keeps more compiled
strptime formats, `_strptime_regexes_kept`, refuses impossible dates before
strptime does, `_tableschema_dates_prechecked`, and shares botocore's models,
`_botocore_models_shared`), so a zygote refuses a request
whose environment differs in a variable DataHub reads at import time (PATH,
HOME, DATAHUB_DEBUG, ...), and does not serve at all if preloading changed what
the script would see (see `preload`). Then the caller prints a one-line warning
and runs the script itself, as the emulation did before zygotes.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import io
import json
import logging
import os
import re
import runpy
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import types
from pathlib import Path
from typing import Callable

# The caller's half (`run`, `call`), by path: this file also runs as a script.
CALLER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zygote_call.py")
_caller = runpy.run_path(CALLER)
SOCKET_ENV, WARNING, call, run = (_caller[n] for n in ("SOCKET_ENV", "WARNING", "call", "run"))
PYTHON = "python"  # the interpreter's zygote: its requests are `python`'s arguments
# Per script served (by file name): the modules it imports before it prints
# anything, then more of what it imports for recipes/, none of which may change
# the logging the first ones set up: the CLI prints how many handlers it masks,
# and the validator's records go to the last-resort handler. So the s3, athena
# and redshift sources stay out (smart_open, google.auth and redshift_connector
# add handlers), and the validator gets no plugin (one calls logging.basicConfig).
PRELOAD = {
    "datahub": (
        ["datahub.entrypoints"],  # what the console script imports
        [
            "datahub.ingestion.source.metadata.business_glossary",
            "datahub.ingestion.source.aws.glue",
            "datahub.ingestion.transformer.add_dataset_tags",
            "datahub.ingestion.transformer.add_dataset_ownership",
            "datahub.ingestion.transformer.add_dataset_terms",
            "datahub.ingestion.sink.file",
            "pyarrow",
            "tableschema",
            "pandas",
            "sqlalchemy.orm",
            "aiohttp",  # the CLI's upgrade check after each command; SSL contexts at import
        ],
    ),
    "validate.py": (
        [  # what validate() imports first
            "datahub.ingestion.api.common",
            "datahub.ingestion.run.pipeline_config",
            "datahub.ingestion.sink.sink_registry",
            "datahub.ingestion.source.source_registry",
            "datahub.ingestion.transformer.transform_registry",
            "datahub.configuration.config_loader",
            "expandvars",
        ],
        ["datahub.ingestion.graph.client", "unittest.mock", "pyarrow", "pandas", "sqlalchemy.orm"],
    ),
    # The image's python: what the command's download and recipes/fetch_and_run.py import
    # (boto3 adds its own NullHandler: the script's first import, as here).
    PYTHON: (["boto3", "boto3.s3.transfer"], []),
}
# Scripts served by one process tree: it imports BASE once, then forks a server for
# each script but the first, which it serves itself. BASE is what they all import
# that leaves logging, the environment and the output as a new interpreter has them
# (checked, as for PRELOAD's second lists): importing it first changes only when.
SHARED = ("datahub", "validate.py")
BASE = ["pyarrow", "pandas", "sqlalchemy.orm", "pydantic", "datahub.metadata.schema_classes"]


# The AWS services the containers' clients call (and one operation each that paginates):
# their models are loaded before the fork.
MODELS_LOADED = {"s3": "list_objects_v2", "glue": "get_tables"}


class _Reads(type(os.environ)):
    """os.environ while preloading: the same variables, and a note of each one read."""

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


def _logging() -> dict[str, tuple[int, int]]:
    """Handlers and level of each logger ("" the root; a placeholder has neither)."""
    loggers = {"": logging.root, **logging.root.manager.loggerDict}
    return {
        n: (len(getattr(lg, "handlers", ())), getattr(lg, "level", 0)) for n, lg in loggers.items()
    }


def _changed(before: dict[str, tuple[int, int]]) -> list[str]:
    """Loggers with handlers added, or whose level changed; a new logger's level is its code's."""
    return sorted(
        name
        for name, (handlers, level) in _logging().items()
        if (handlers, level) != before.get(name, (0, level))
    )


def preload(script: str) -> set[str]:
    """Import what `script` imports; returns the environment variables read meanwhile."""
    return _preload(*PRELOAD[script])


def _preload(first: list[str], more: list[str]) -> set[str]:
    """Import `first`, then `more`; returns the environment variables read meanwhile.

    Exits if that would make a child differ from a fresh process: logging changed
    after the script's first imports, the environment changed, output was
    written (a child would not repeat it), or a thread was started.
    """
    real, environ, written = os.environ, dict(os.environ), os.fstat(2).st_size
    os.environ = reads = _Reads.__new__(_Reads)
    reads.__dict__.update(vars(real), read=set())
    try:
        for name in first:
            importlib.import_module(name)
        logging_set_up = _logging()
        for name in more:
            importlib.import_module(name)
    finally:
        os.environ = real
    if _changed(logging_set_up):
        sys.exit(f"zygote: preloading changed the loggers {_changed(logging_set_up)}")
    if dict(os.environ) != environ:
        sys.exit("zygote: preloading changed the environment")
    if os.fstat(2).st_size != written:
        sys.exit("zygote: preloading wrote output, which a child would not repeat")
    if threading.active_count() > 1:
        sys.exit("zygote: preloading started threads, whose locks a fork would copy")
    return {key for key in reads.read if isinstance(key, str)}


def _warm(script: str) -> set[str]:
    """`preload` the script's imports, then freeze what they made; the variables read."""
    gc.disable()  # imports make many objects and little garbage: collecting only costs
    read_at_import = preload(script)
    _strptime_regexes_kept()
    _tableschema_dates_prechecked()
    _botocore_models_shared()
    gc.collect()
    gc.freeze()  # a child's collections and exit then skip these, instead of copying their pages
    gc.enable()
    return read_at_import


def _strptime_regexes_kept(size: int = 512) -> None:
    """Keep up to `size` compiled strptime formats, not Python 3.11's five.

    The s3 recipes infer CSV schemas with tableschema, which tries more date and
    time formats per value than that cache holds, so every strptime compiled its
    format again: a third of the s3 recipe's CPU. A child differs from a fresh
    process here only in speed: the same formats give the same dates.
    """
    import _strptime

    _strptime._CACHE_MAX_SIZE = max(_strptime._CACHE_MAX_SIZE, size)


# The formats whose strptime regex holds only numeric directives: the same in every locale.
LOCALE_FREE_FORMAT = re.compile(r"(?:%[YmdyHMS]|[-/.:TZ0-9])+")


def _tableschema_dates_prechecked() -> None:
    """Answer tableschema's date, time and datetime casts at once when strptime would fail.

    The s3 recipes infer CSV schemas with tableschema, which tries 12 strptime
    formats on every sampled value, nearly all failing: a fifth of the s3 recipe's
    CPU, mostly building the ValueError. strptime fails first of all when its
    format's regex does not match the whole value; checked with that same regex,
    such a value gets the ERROR the failed strptime gave. Every other value (and
    `any`, `fmt:` or locale-dependent formats) goes to the original cast.
    """
    types = sys.modules.get("tableschema.types")
    if types is None:
        return
    for name in ("cast_date", "cast_time", "cast_datetime"):
        setattr(types, name, _prechecked(getattr(types, name)))


def _prechecked(cast: Callable) -> Callable:
    import _strptime

    module = sys.modules[cast.__module__]
    regexes: dict[str, re.Pattern | None] = {}

    def regex(fmt: str) -> re.Pattern | None:
        if fmt not in regexes:
            pattern = module._DEFAULT_PATTERN if fmt == "default" else fmt
            free = LOCALE_FREE_FORMAT.fullmatch(pattern)
            regexes[fmt] = _strptime._TimeRE_cache.compile(pattern) if free else None
        return regexes[fmt]

    def prechecked(format, value, **options):
        if isinstance(value, str) and isinstance(format, str):
            checked = regex(format)
            if checked is not None:
                found = checked.match(value)
                if found is None or found.end() != len(value):
                    return module.ERROR
        return cast(format, value, **options)

    prechecked.__wrapped__ = cast
    return prechecked


class _SharedModels:
    """A botocore Loader's `_cache`, shared by every Loader with the same search paths,
    but for the endpoints data: each session's endpoint resolver completes it in place."""

    entries: dict = {}

    def __init__(self, loader):
        self.loader, self.own = loader, {}

    def _where(self, key) -> tuple[dict, tuple]:
        if key[1:2] == ("endpoints",):
            return self.own, key
        loader = self.loader
        paths = (tuple(loader.search_paths), tuple(loader.extras_types), type(loader.file_loader))
        return self.entries, (paths, key)

    def __contains__(self, key) -> bool:
        cache, key = self._where(key)
        return key in cache

    def __getitem__(self, key):
        cache, key = self._where(key)
        return cache[key]

    def __setitem__(self, key, value) -> None:
        cache, key = self._where(key)
        cache[key] = value


def _botocore_models_shared() -> None:
    """Let each botocore Loader reuse what any Loader with its search paths has loaded.

    DataHub's AWS sources make a new boto3 session per client, and each session
    parsed the same model files again (JSON into OrderedDicts, and a listing of
    every service): about a third of the s3 recipe's CPU. Within one session
    botocore already shares them between clients, read-only; now sessions do
    too (but the endpoints data). The same files give the same models. Only
    where the preload imported botocore (importing it here would add its
    logger's handler unchecked).
    """
    loaders = sys.modules.get("botocore.loaders")
    if loaders is None:
        return
    init = loaders.Loader.__init__

    def shared_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._cache = _SharedModels(self)

    loaders.Loader.__init__ = shared_init
    boto3 = sys.modules.get("boto3.session")
    if boto3 is not None:  # what the children's clients load first, loaded once here
        session = boto3.Session(region_name="us-east-1")
        for service, operation in MODELS_LOADED.items():
            session.client(service).can_paginate(operation)  # the paginators' model too


def _listen(folder: str, script: str) -> socket.socket:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(os.path.join(folder, script))
    listener.listen(16)
    return listener


def _fork_servers(folder: str, scripts: tuple[str, ...]) -> tuple[str, set[str]]:
    """With several scripts, import BASE once and fork a server for each but the first
    (its output to its own log); the script this process serves, and what BASE read."""
    if len(scripts) == 1:
        return scripts[0], set()
    gc.disable()  # _warm enables it again, after freezing what the imports made
    read = _preload([], BASE)
    for script in scripts[1:]:
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            log = os.open(os.path.join(folder, f"{script}.log"), os.O_WRONLY | os.O_CREAT)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.close(log)
            return script, read
    return scripts[0], read


def serve(folder: str, *scripts: str) -> list[str] | None:
    """Serve each script at folder/script; returns only in a forked child, with its argv."""
    listeners = {script: _listen(folder, script) for script in scripts}
    print("listening", flush=True)  # Zygotes waits for this; clients queue until preloaded
    os.dup2(2, 1)
    del sys.path[0]  # this file's folder: each child gets its script's, as `python SCRIPT`
    script, read_at_base = _fork_servers(folder, scripts)
    listener = listeners.pop(script)
    for other in listeners.values():  # served by another process of the tree
        other.close()
    read_at_import = read_at_base | _warm(script)
    startup = dict(os.environ)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # finished runners are reaped by the kernel
    while True:
        ready, _, _ = select.select([listener, 0], [], [])
        if 0 in ready:  # stdin closed: the emulation that started us has gone
            return None
        conn, _ = listener.accept()
        with conn:
            try:
                request, fds = _receive(conn)
            except (OSError, ValueError) as err:
                print(f"bad request: {err!r}", flush=True)
                continue
            env = request["env"]
            read = _read_at_start(read_at_import, env, startup)
            differs = sorted(k for k in read if env.get(k) != startup.get(k))
            if differs:
                with contextlib.suppress(OSError):
                    conn.sendall(f"environment differs in {', '.join(differs)}\n".encode())
                for fd in fds:
                    os.close(fd)
                continue
            sys.stdout.flush()
            sys.stderr.flush()
            if os.fork() == 0:  # a runner per request, so requests run side by side
                listener.close()
                return _run_child(conn, request, fds)
            for fd in fds:
                os.close(fd)


# Read by OpenSSL itself, not through os.environ, when an import builds an SSL context.
READ_BY_OPENSSL = {"SSL_CERT_FILE", "SSL_CERT_DIR"}


def _read_at_start(read_at_import: set[str], env: dict, startup: dict) -> set[str]:
    """The variables a child sees only as they were when the zygote started: those
    its imports read, OpenSSL's, and the interpreter's own (PYTHONPATH, ...)."""
    interpreter = {k for k in (*env, *startup) if k.startswith("PYTHON")}
    return read_at_import | READ_BY_OPENSSL | interpreter


def _run_child(conn: socket.socket, request: dict, fds: list[int]) -> list[str]:
    """In a runner: fork the child that becomes the script, report its exit status, exit.

    Returns only in that child, with its argv."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote ignores it to reap runners
    pid = os.fork()
    if pid == 0:
        _become(request, fds)
        return request["argv"]
    for fd in fds:
        os.close(fd)
    with contextlib.suppress(OSError):  # the caller may have gone (killed on a timeout)
        conn.sendall(b"started\n")
    _, raw_status, usage = os.wait4(pid, 0)
    status = os.waitstatus_to_exitcode(raw_status)
    cpu = usage.ru_utime + usage.ru_stime  # what profiling a run needs first
    print(f"child {pid}: {' '.join(request['argv'])} -> {status} ({cpu:.2f} CPU s)", flush=True)
    with contextlib.suppress(OSError):
        conn.sendall(f"{status}\n".encode())
    os._exit(0)


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    while not data.endswith(b"\n"):
        more = conn.recv(1 << 16)
        if not more:
            raise ConnectionError("closed before the end of its request")
        data += more
    return json.loads(data), fds


def _become(request: dict, fds: list[int]) -> None:
    """In the child: the caller's descriptors, directory, environment and argv."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = list(request["argv"])
    if os.path.basename(sys.argv[0]) == PYTHON:  # `python ARGS`: its argv and sys.path[0]
        del sys.argv[0]
        if sys.argv[0] == "-c":
            del sys.argv[1]
    first = sys.argv[0]
    sys.path.insert(0, "" if first == "-c" else os.path.dirname(os.path.realpath(first)))
    sys.stdout.reconfigure(line_buffering=sys.stdout.isatty())
    # Fresh seeds, as a new process has: `random` reseeds itself after a fork, numpy does not.
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()


def main(request: list[str]) -> None:
    """In the child: run the script (the request's first argument) as `__main__`."""
    if os.path.basename(request[0]) == PYTHON and request[1] == "-c":
        module = types.ModuleType("__main__")
        sys.modules["__main__"] = module
        exec(compile(request[2], "<string>", "exec"), module.__dict__)
    else:
        script = request[1] if os.path.basename(request[0]) == PYTHON else request[0]
        runpy.run_path(script, run_name="__main__")  # raises SystemExit like the script


def finish(request: list[str]) -> None:
    """In the child: run the script, then end it as the interpreter would, but for
    tearing down its modules, which Python does not promise to finalize either.

    That teardown decrements every object the child shares with the zygote, so it
    copies nearly every page of it: 0.14 CPU s per CLI child, as much as a small
    recipe. What an exit does that anyone could see is still done, in Python's
    order: wait for the non-daemon threads, run the atexit functions (logging's
    flush among them), flush the files left open and the standard streams (exit
    status 120 if that fails). An uncaught exception or a non-integer exit code
    ends the usual way, printed by the interpreter.
    """
    try:
        main(request)
        status = 0
    except SystemExit as stop:
        if stop.code is not None and not isinstance(stop.code, int):
            raise
        status = stop.code or 0
    threading._shutdown()
    atexit._run_exitfuncs()
    os._exit(status if _flushed() else 120)


def _flushed() -> bool:
    """Flush what the child opened and left open, then stdout and stderr (frozen, the
    zygote's objects are not among the collector's); whether the streams flushed."""
    for obj in gc.get_objects():
        if isinstance(obj, (io.BufferedWriter, io.BufferedRandom, io.TextIOWrapper)):
            with contextlib.suppress(Exception):
                obj.flush()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:
        return False
    return True


class Zygotes:
    """The emulation's side: a zygote per script of PRELOAD (those of SHARED forked from
    one process), started in the background.

    `python` is called in the background (it may build .venv-datahub first) and
    returns the interpreter; `env` is the environment they import with: the one
    every container has before its task's own variables.
    """

    def __init__(self, python: Callable[[], Path], env: dict[str, str]):
        self.folder = Path(tempfile.mkdtemp(prefix="devkit-datahub-zygote-"))
        self.pids: dict[str, int] = {}
        self._owner = os.getpid()  # a fork of this process (running atexit) must not stop them
        self._procs: list[subprocess.Popen] = []
        self._started = threading.Thread(target=self._start, args=(python, env), daemon=True)
        self._started.start()

    def _start(self, python: Callable[[], Path], env: dict[str, str]) -> None:
        interpreter = str(python())
        groups = [SHARED, *((script,) for script in PRELOAD if script not in SHARED)]
        for scripts in groups:
            with open(self.log(scripts[0]), "wb") as log:
                proc = subprocess.Popen(
                    [interpreter, __file__, "serve", str(self.folder), *scripts],
                    stdin=subprocess.PIPE,  # its lifeline: closed when this process ends
                    stdout=subprocess.PIPE,
                    stderr=log,
                    env=env,
                    cwd=self.folder,
                    start_new_session=True,  # stop() kills its group: it and its children
                )
            self._procs.append(proc)
            self.pids.update(dict.fromkeys(scripts, proc.pid))  # the tree's root
        for proc in self._procs:
            proc.stdout.readline()  # "listening", or nothing if it failed to start
            proc.stdout.close()

    def log(self, script: str) -> Path:
        """What the zygote of `script` wrote: its errors, and one line per child (its
        argv, exit status and CPU seconds)."""
        return self.folder / f"{script}.log"

    def wait(self) -> str:
        """The sockets' folder, once each zygote listens there (or has failed to)."""
        self._started.join()
        return str(self.folder)

    def stop(self) -> None:
        if os.getpid() != self._owner:
            return
        self._started.join()
        for proc in self._procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            proc.stdin.close()
        shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        argv = serve(*sys.argv[2:])
        if argv is None:
            sys.exit(0)
        finish(argv)
    else:
        run(sys.argv[1], sys.argv[2:])
