"""The Airflow patches keep behaviour: one API app, one JSON adapter, same validation,
one set of secrets backends per setting that still asks Secrets Manager every time."""

from __future__ import annotations

import uuid

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


def _stack_with_variable(local_aws, value: str) -> tuple[str, dict]:
    """A stack's variable `v` in Secrets Manager and its secrets backend's env vars."""
    import json

    from devkit.run.local_stack import secrets_backend

    stack = f"t{uuid.uuid4().hex[:8]}"
    secret = f"{stack}/airflow/variables/v"
    local_aws.client("secretsmanager").create_secret(Name=secret, SecretString=value)
    path, kwargs = secrets_backend(local_aws, stack)
    env = {
        "AIRFLOW__SECRETS__BACKEND": path,
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps(kwargs),
    }
    return secret, env


def _reads_of(secret: str, accesses) -> int:
    return sum(
        a.action == "secretsmanager:GetSecretValue" and f":secret:{secret}" in a.resource
        for a in accesses
    )


def test_secrets_backends_are_built_once_per_setting_and_still_read_every_lookup(local_aws):
    """Same setting, same backend (one client); another stack's setting, its own backend;
    a changed secret is read at the next look-up, one GetSecretValue each, as unpatched."""
    from airflow.sdk import Variable
    from airflow.sdk.execution_time.supervisor import ensure_secrets_backend_loaded

    from devkit.emulator import patched_environ
    from devkit.iam.recorder import LOG

    patches.apply_all()
    first, first_env = _stack_with_variable(local_aws, "one")
    second, second_env = _stack_with_variable(local_aws, "other")
    mark = LOG.mark()
    with patched_environ(first_env):
        backend, *_ = ensure_secrets_backend_loaded()
        assert type(backend).__name__ == "SecretsManagerBackend"
        assert Variable.get("v") == "one"
        changed = "two"
        local_aws.client("secretsmanager").put_secret_value(SecretId=first, SecretString=changed)
        assert Variable.get("v") == changed
        assert ensure_secrets_backend_loaded()[0] is backend
    with patched_environ(second_env):
        assert ensure_secrets_backend_loaded()[0] is not backend
        assert Variable.get("v") == "other"
    with patched_environ(first_env):
        assert ensure_secrets_backend_loaded()[0] is backend
        assert Variable.get("v") == "two"
    reads = LOG.since(mark)
    assert (_reads_of(first, reads), _reads_of(second, reads)) == (3, 1)


def test_airflow_sqlite_commits_without_fsync_and_every_commit_is_still_seen(tmp_path):
    """Airflow's engine (pooled connections included) and one a later reconfigure_orm
    builds run at synchronous=NORMAL (1) in WAL mode; a commit is read at once by a
    connection of its own, as another process would."""
    import sqlite3

    from airflow import settings
    from sqlalchemy import create_engine, text

    patches.apply_all()
    with settings.engine.connect() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    path = tmp_path / "airflow.db"
    engine = create_engine(f"sqlite:///{path}")
    settings.setup_event_handlers(engine)  # what configure_orm calls for each new engine
    with engine.begin() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1
        connection.execute(text("CREATE TABLE runs (state TEXT)"))
        connection.execute(text("INSERT INTO runs VALUES ('success')"))
    reader = sqlite3.connect(path)
    try:
        assert reader.execute("SELECT state FROM runs").fetchall() == [("success",)]
    finally:
        reader.close()
        engine.dispose()


def test_the_secrets_key_follows_exactly_the_variables_that_shape_the_backends(monkeypatch):
    """An AWS_*, AIRFLOW__SECRETS__* or AIRFLOW__WORKERS__* change is a new key (its own
    backends); any other variable (a task's AIRFLOW_CTX_*) is not."""
    from devkit.patches.for_airflow import _secrets_environ

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    before = _secrets_environ()
    assert (b"AWS_ENDPOINT_URL", b"http://127.0.0.1:1") in before
    monkeypatch.setenv("AIRFLOW_CTX_TASK_ID", "merge")
    assert _secrets_environ() == before
    for name in ("AWS_ENDPOINT_URL", "AIRFLOW__SECRETS__BACKEND_KWARGS", "AIRFLOW__WORKERS__X"):
        monkeypatch.setenv(name, "changed")
        assert _secrets_environ() != before, name
        before = _secrets_environ()
