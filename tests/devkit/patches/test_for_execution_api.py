"""The in-process Execution API, served in one hand-over per request, answers exactly as
through Airflow's a2wsgi bridge, and runs its sync work as an anyio worker would, in
the API's own thread (never the caller's)."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from devkit import patches
from devkit.airflow.settings import migrate_metadata_db
from devkit.patches.for_execution_api import _OneHopTransport


def _client(transport, **headers) -> httpx.Client:
    return httpx.Client(
        transport=transport, base_url="http://in-process.invalid./", headers=headers
    )


def _answer(response: httpx.Response) -> tuple:
    return response.status_code, response.headers.get("content-type"), response.content


@pytest.fixture(scope="module")
def probe():
    """A FastAPI app with a sync endpoint and a sync dependency that note where and how
    they ran, and one that fails; served by the bridge and by the one-hop transport."""
    import sniffio
    from a2wsgi import ASGIMiddleware
    from fastapi import Depends, FastAPI

    app, seen = FastAPI(), []

    def where() -> dict:
        return {
            "thread": threading.get_ident(),
            "running_loop": asyncio.events._get_running_loop() is not None,
            "async_library": sniffio.current_async_library_cvar.get(),
        }

    @app.get("/where/{n}")
    def where_endpoint(n: int, dependency: dict = Depends(where)) -> dict:
        seen.append((dependency, where()))
        return {"n": n}

    @app.get("/reenter")
    def reenter() -> dict:
        try:
            _client(one_hop).get("/where/3")
        except RuntimeError as error:
            return {"error": "RuntimeError", "names_the_switch": "DEVKIT_PATCHES=off" in str(error)}
        return {"error": None}

    @app.get("/fails")
    def fails() -> dict:
        raise RuntimeError("an endpoint's own error")

    patches.apply_all()
    bridged = httpx.WSGITransport(app=ASGIMiddleware(app))
    one_hop = _OneHopTransport(app, bridged)
    return bridged, one_hop, seen


def test_the_probe_answers_the_same_through_both_transports(probe):
    bridged, one_hop, _ = probe
    for path in ("/where/7", "/where/seven", "/nowhere", "/fails"):
        assert _answer(_client(one_hop).get(path)) == _answer(_client(bridged).get(path)), path
    assert _client(one_hop).get("/fails").status_code == 500
    assert _client(one_hop).get("/where/seven").status_code == 422


def test_sync_work_runs_in_the_api_thread_as_in_a_worker(probe):
    bridged, one_hop, seen = probe
    seen.clear()
    assert _client(one_hop).get("/where/1").json() == {"n": 1}
    ((dependency, endpoint),) = seen
    assert dependency == endpoint
    assert endpoint["thread"] == one_hop._thread.ident != threading.get_ident()
    assert endpoint["running_loop"] is False and endpoint["async_library"] is None
    _client(bridged).get("/where/2")  # the bridge: a worker thread, same view of the loop
    assert seen[-1][1]["thread"] not in (one_hop._thread.ident, threading.get_ident())
    assert {k: v for k, v in seen[-1][1].items() if k != "thread"} == {
        "running_loop": False,
        "async_library": None,
    }


def test_other_anyio_callers_still_get_a_worker_thread():
    import anyio
    import anyio.to_thread

    patches.apply_all()
    assert anyio.to_thread.run_sync.original  # the patch's wrapper
    caller = threading.get_ident()
    assert anyio.run(anyio.to_thread.run_sync, threading.get_ident) != caller


def test_a_call_from_the_api_thread_itself_fails_clearly_instead_of_hanging(probe):
    _, one_hop, _ = probe
    assert _client(one_hop).get("/reenter").json() == {
        "error": "RuntimeError",
        "names_the_switch": True,
    }


def test_dag_tests_execution_api_answers_the_same_in_one_hop():
    from airflow.sdk.api.datamodels._generated import API_VERSION
    from airflow.sdk.execution_time import supervisor

    migrate_metadata_db()
    patches.apply_all()
    api = supervisor.in_process_api_server()
    assert isinstance(api.transport, _OneHopTransport)
    assert supervisor.in_process_api_server().transport is api.transport  # built once
    unknown = "00000000-0000-0000-0000-000000000001"
    for path in (
        "dag-runs/count?dag_id=no_such_dag",
        "dag-runs/count",  # a missing query parameter: 422
        f"task-instances/{unknown}/previous-successful-dagrun",
    ):
        one_hop = _client(api.transport, **{"airflow-api-version": API_VERSION}).get(path)
        bridged = _client(api.transport.bridged, **{"airflow-api-version": API_VERSION}).get(path)
        assert _answer(one_hop) == _answer(bridged), path
    assert _client(api.transport).get("dag-runs/count?dag_id=no_such_dag").json() == 0
