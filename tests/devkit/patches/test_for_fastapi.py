"""The FastAPI patch analyses dependencies once and still overrides and validates."""

from __future__ import annotations

from devkit import patches


def test_overridden_dependencies_are_analysed_once_and_still_override_and_validate():
    from fastapi import Depends, FastAPI
    from fastapi.dependencies import utils
    from fastapi.testclient import TestClient

    patches.apply_all()

    def real_caller() -> str:
        return "real"

    def local_caller() -> str:
        return "local"

    app = FastAPI()

    @app.get("/nights/{n}")
    def night(n: int, caller: str = Depends(real_caller)) -> dict:
        return {"n": n, "caller": caller}

    app.dependency_overrides[real_caller] = local_caller
    client = TestClient(app)
    assert client.get("/nights/1").json() == {"n": 1, "caller": "local"}
    analyses = utils.get_dependant.analysed.cache_info().misses
    assert client.get("/nights/2").json() == {"n": 2, "caller": "local"}
    assert utils.get_dependant.analysed.cache_info().misses == analyses  # nothing re-analysed
    assert client.get("/nights/two").status_code == 422  # parameters still validated
    app.dependency_overrides.clear()
    assert client.get("/nights/3").json() == {"n": 3, "caller": "real"}


def test_routes_of_one_endpoint_each_get_their_own_route_dependencies(monkeypatch):
    """APIRoute extends the Dependant it is given with the route's own dependencies: a
    cached analysis must not hand two routes (Cadwyn's versions of one endpoint) the same
    list, or the second route runs the route's dependencies twice."""
    from fastapi import Depends, routing
    from fastapi.dependencies import utils
    from fastapi.routing import APIRoute

    patches.apply_all()
    # fastapi.routing imports get_dependant by name: patched when the patches are applied
    # before FastAPI is first imported, as in a run.
    monkeypatch.setattr(routing, "get_dependant", utils.get_dependant)
    calls: list[str] = []

    def audited() -> None:
        calls.append("audited")

    def endpoint() -> dict:
        return {}

    routes = [
        APIRoute("/nights", endpoint, dependencies=[Depends(audited)]),
        APIRoute("/nights", endpoint, dependencies=[Depends(audited)]),
    ]
    for route in routes:
        assert [d.call for d in route.dependant.dependencies] == [audited]
    assert routes[0].dependant is not routes[1].dependant
