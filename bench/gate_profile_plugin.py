"""A pytest plugin for bench/gate_profile.py: where each test process spends its time.

Opt-in only: the bench loads it with `-p gate_profile_plugin` (bench/ on PYTHONPATH) and
names a folder in GATE_PROFILE_DIR; no gate or CI run ever loads it. Each process
(every xdist worker) writes one JSON file there: collection, and per test module and
per fixture set-up the wall time and CPU time (this process, all its threads, plus the
children it waited for; a server process still running is not counted). Per module also
when it started and ended (time.time(), for the workers' timeline) and `tree_cpu`: the CPU
of every live process started from this worker, found by its PYTEST_XDIST_WORKER (the
Spark JVM, DataHub's zygote, PostgreSQL's daemonized server), so a module that waits on
them shows where its wall time went.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

STARTED = (time.perf_counter(), time.process_time())


def _cpu() -> float:
    """This process's CPU plus that of the children it has waited for."""
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


class _Clock:
    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), _cpu()

    def lap(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, _cpu() - self.cpu


_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main").encode()
_TICKS = os.sysconf("SC_CLK_TCK")


@cache
def _started_by_this_worker(pid: int, start_ticks: int) -> bool:
    """(pid, start time) names one process; its environment never changes worker (the
    worker's own, read at its exec, has none: xdist sets it later)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"PYTEST_XDIST_WORKER=" + _WORKER in environ


def _tree_cpu() -> float:
    """CPU of every live process of this worker (itself included) and of the children
    each waited for: a server still running (JVM, PostgreSQL) counts up to now."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        if pid == os.getpid() or _started_by_this_worker(pid, int(fields[19])):
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / _TICKS


_modules: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
_fixtures: list[dict] = []
_collection: dict[str, float] = {}


def _module(item) -> str:
    return item.nodeid.split("::")[0]


_current: dict = {"module": None, "tree_cpu": 0.0}


def _enter_module(name: str | None) -> None:
    """At a change of module: the previous one's end and tree CPU, the next one's start."""
    if name == _current["module"]:
        return
    now, tree = time.time(), _tree_cpu()
    if _current["module"] is not None:
        record = _modules[_current["module"]]
        record["ended"] = now
        record["tree_cpu"] += tree - _current["tree_cpu"]
    if name is not None:
        _modules[name].setdefault("started", now)
    _current.update(module=name, tree_cpu=tree)


_sleeps: dict[str, float] = defaultdict(float)


def _account_sleep(seconds: float, depth: int) -> None:
    """A sleep's length, by module and by where it was called (the main thread only:
    what the test waited for), so a poll interval a test waits out shows in the profile."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        return
    caller = sys._getframe(depth)
    _sleeps[f"{caller.f_code.co_filename}:{caller.f_lineno}"] += seconds
    if _current["module"] is not None:
        _modules[_current["module"]]["slept"] += seconds


def _timing_sleeps() -> None:
    """time.sleep and asyncio.sleep, wrapped (opt-in: only this bench loads the plugin)."""
    sleep, async_sleep = time.sleep, asyncio.sleep

    def timed_sleep(seconds):
        _account_sleep(seconds, 2)
        return sleep(seconds)

    async def timed_async_sleep(delay, result=None):
        _account_sleep(delay, 2)
        return await async_sleep(delay, result)

    time.sleep, asyncio.sleep = timed_sleep, timed_async_sleep


_timing_sleeps()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logstart(nodeid, location):
    _enter_module(nodeid.split("::")[0])


@pytest.hookimpl(wrapper=True)
def pytest_collection(session):
    clock = _Clock()
    _collection["started"] = time.time()
    try:
        return (yield)
    finally:
        _collection["wall"], _collection["cpu"] = clock.lap()
        _collection["ended"] = time.time()


def _timed_phase(phase):
    @pytest.hookimpl(wrapper=True)
    def hook(item):
        clock = _Clock()
        try:
            return (yield)
        finally:
            wall, cpu = clock.lap()
            record = _modules[_module(item)]
            record[f"{phase}_wall"] += wall
            record[f"{phase}_cpu"] += cpu
            if phase == "call":
                record["tests"] += 1
                record["call_ended"] = time.time()  # the last test's end: the gate's tail

    return hook


pytest_runtest_setup = _timed_phase("setup")
pytest_runtest_call = _timed_phase("call")
pytest_runtest_teardown = _timed_phase("teardown")


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """The fixture's own set-up: pytest sets up the fixtures it requests before this."""
    clock = _Clock()
    try:
        return (yield)
    finally:
        wall, cpu = clock.lap()
        item = getattr(request, "_pyfuncitem", None)
        _fixtures.append(
            {
                "name": fixturedef.argname,
                "scope": fixturedef.scope,
                "module": _module(item) if item is not None else "",
                "wall": wall,
                "cpu": cpu,
            }
        )


def pytest_unconfigure(config):
    folder = os.environ.get("GATE_PROFILE_DIR")
    if not folder:
        return
    _enter_module(None)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    record = {
        "started": time.time() - (time.perf_counter() - STARTED[0]),
        "worker": worker,
        "wall": time.perf_counter() - STARTED[0],
        "cpu": _cpu() - STARTED[1],
        "collection": _collection,
        "modules": {name: dict(values) for name, values in _modules.items()},
        "fixtures": _fixtures,
        "sleeps": dict(_sleeps),
    }
    (Path(folder) / f"{worker}.json").write_text(json.dumps(record, indent=1))
