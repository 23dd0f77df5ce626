"""The local-only dag.test() patches keep behaviour: what they share is safe to share."""

from __future__ import annotations

import json
import threading

import pytest

from devkit import dag_test_speedups

CONN = {
    "conn_type": "aws",
    "login": "local-key-id",
    "password": "local-not-a-secret",  # pragma: allowlist secret
}


def _session(region: str):
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    return AwsBaseHook(aws_conn_id="speedups_aws", region_name=region).get_session()


def test_hooks_on_one_thread_share_a_session_per_region_and_threads_do_not(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SPEEDUPS_AWS", json.dumps(CONN))
    dag_test_speedups.apply()
    first, again = _session("eu-west-1"), _session("eu-west-1")
    assert first is again
    assert first.region_name == "eu-west-1"
    assert first.get_credentials().access_key == "local-key-id"
    other_region = _session("us-east-1")
    assert other_region is not first and other_region.region_name == "us-east-1"
    on_another_thread = []
    worker = threading.Thread(target=lambda: on_another_thread.append(_session("eu-west-1")))
    worker.start()
    worker.join()
    assert on_another_thread[0] is not first


def test_the_task_runner_reuses_one_json_adapter_and_others_still_work():
    from airflow.sdk.execution_time import task_runner
    from pydantic import JsonValue

    dag_test_speedups.apply()
    adapter = task_runner.TypeAdapter(JsonValue)
    assert task_runner.TypeAdapter(JsonValue) is adapter
    assert adapter.validate_python({"sql": ["select 1", None], "n": 2}) == {
        "sql": ["select 1", None],
        "n": 2,
    }
    assert task_runner.TypeAdapter(int).validate_python("7") == 7


def test_param_values_are_still_validated_every_time_and_bad_schemas_rejected():
    import jsonschema
    from airflow.sdk import Param
    from airflow.sdk.exceptions import ParamValidationError

    dag_test_speedups.apply()
    days = Param(3, type="integer", minimum=1)
    assert days.resolve() == 3 and days.resolve(5) == 5  # the schema was checked once
    with pytest.raises(ParamValidationError):
        days.resolve(0)
    with pytest.raises(ParamValidationError):
        days.resolve("three")
    with pytest.raises(jsonschema.exceptions.SchemaError):
        jsonschema.validate(1, {"type": "no-such-type"})


def test_the_in_process_api_is_built_once_without_per_request_middleware():
    from airflow.api_fastapi.execution_api.app import JWTReissueMiddleware
    from airflow.sdk.execution_time import supervisor

    dag_test_speedups.apply()
    api = supervisor.in_process_api_server()
    assert supervisor.in_process_api_server() is api
    assert JWTReissueMiddleware not in {m.cls for m in api.app.user_middleware}
    assert api.app.user_middleware  # cadwyn's version picking stays


def test_overridden_dependencies_are_analysed_once_and_still_override_and_validate():
    from fastapi import Depends, FastAPI
    from fastapi.dependencies import utils
    from fastapi.testclient import TestClient

    dag_test_speedups.apply()

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
