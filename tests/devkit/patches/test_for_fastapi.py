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
