"""A pytest plugin for bench/gate_profile.py: where each test process spends its time.

Opt-in only: the bench loads it with `-p gate_profile_plugin` (bench/ on PYTHONPATH) and
names a folder in GATE_PROFILE_DIR; no gate or CI run ever loads it. Each process
(every xdist worker) writes one JSON file there: collection, and per test module and
per fixture set-up the wall time and CPU time (this process, all its threads, plus the
children it waited for; a server process still running is not counted).
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
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


_modules: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
_fixtures: list[dict] = []
_collection: dict[str, float] = {}


def _module(item) -> str:
    return item.nodeid.split("::")[0]


@pytest.hookimpl(wrapper=True)
def pytest_collection(session):
    clock = _Clock()
    try:
        return (yield)
    finally:
        _collection["wall"], _collection["cpu"] = clock.lap()


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
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    record = {
        "worker": worker,
        "wall": time.perf_counter() - STARTED[0],
        "cpu": _cpu() - STARTED[1],
        "collection": _collection,
        "modules": {name: dict(values) for name, values in _modules.items()},
        "fixtures": _fixtures,
    }
    (Path(folder) / f"{worker}.json").write_text(json.dumps(record, indent=1))
