"""The Airflow patches keep behaviour: one API app, one JSON adapter, same validation."""

from __future__ import annotations

from devkit import patches


def test_the_task_runner_reuses_one_json_adapter_and_others_still_work():
    from airflow.sdk.execution_time import task_runner
    from pydantic import JsonValue

    patches.apply_all()
    adapter = task_runner.TypeAdapter(JsonValue)
    assert task_runner.TypeAdapter(JsonValue) is adapter
    assert adapter.validate_python({"sql": ["select 1", None], "n": 2}) == {
        "sql": ["select 1", None],
        "n": 2,
    }
    assert task_runner.TypeAdapter(int).validate_python("7") == 7


def test_the_in_process_api_is_built_once_without_per_request_middleware():
    from airflow.api_fastapi.execution_api.app import JWTReissueMiddleware
    from airflow.sdk.execution_time import supervisor

    patches.apply_all()
    api = supervisor.in_process_api_server()
    assert supervisor.in_process_api_server() is api
    assert JWTReissueMiddleware not in {m.cls for m in api.app.user_middleware}
    assert api.app.user_middleware  # cadwyn's version picking stays
