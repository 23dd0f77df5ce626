"""What a missing grant, Variable or Connection does to a run of tickit__redshift_load.

Redshift enforces privileges locally: the DAGs' Data API statements run as
"IAMR:<MWAA role name>", a non-superuser that has only what sql/redshift_bootstrap/
grants. One task (create_schema, after its extracts sensor) is enough to prove it, both
ways. A missing setting fails its task, naming it, before any target changes. All but
the missing grant run on one landed stack (`landed`): the TICKIT nights' worker is the
pre-push gate's longest, this module runs beside it.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from deploy import redshift_bootstrap

DAG_ID = "tickit__redshift_load"
DAY = date(2008, 1, 2)
GRANT = "GRANT CREATE ON DATABASE {{ params.database }} TO {{ params.pipeline_user }};"


def pipeline_user(pipeline) -> str:
    """The user the bootstrap made for the stack's MWAA role, as Redshift maps it."""
    return redshift_bootstrap.pipeline_user(dict(pipeline.names.outputs)["MwaaExecutionRoleArn"])


def _state(result, task_id: str) -> str:
    return next(t.state for t in result.tasks if t.task_id == task_id)


@pytest.fixture
def without_the_create_grant(tmp_path, monkeypatch):
    """sql/redshift_bootstrap/ with the pipeline user's CREATE on the database removed."""
    folder = tmp_path / "redshift_bootstrap"
    shutil.copytree(redshift_bootstrap.SQL_DIR, folder)
    grants = folder / "02_pipeline_grants.sql"
    assert GRANT in grants.read_text()
    grants.write_text(grants.read_text().replace(GRANT, ""))
    monkeypatch.setattr(redshift_bootstrap, "SQL_DIR", folder)


@pytest.fixture(scope="module")
def landed(new_pipeline):
    """A stack made with the whole bootstrap, its night's extracts landed."""
    pipeline = new_pipeline(DAG_ID)
    pipeline.land(DAY)
    return pipeline


def failure_log(result, task_id: str) -> str:
    (task,) = [t for t in result.tasks if t.task_id == task_id]
    return task.log.read_text()


def test_with_the_bootstrap_the_pipeline_user_creates_its_schema(landed):
    pipeline = landed
    mark = len(pipeline.aws.statements)
    result = pipeline.run(DAG_ID, DAY, only="create_schema")
    assert _state(result, "create_schema") == "success"
    users = {s.user for s in pipeline.aws.statements[mark:]}
    assert users == {pipeline_user(pipeline)}
    assert pipeline_user(pipeline).startswith("IAMR:")


def test_a_missing_grant_fails_naming_statement_user_and_privilege(
    new_pipeline, without_the_create_grant
):
    pipeline = new_pipeline(DAG_ID)
    pipeline.land(DAY)
    mark = len(pipeline.aws.statements)
    result = pipeline.run(DAG_ID, DAY, only="create_schema")
    assert _state(result, "create_schema") == "failed"
    failed = [s for s in pipeline.aws.statements[mark:] if s.status == "FAILED"]
    assert len(failed) == 1
    error = failed[0].error
    database = pipeline.variables["redshift_database"]
    assert f"permission denied for database {database}" in error
    assert "Statement: CREATE SCHEMA IF NOT EXISTS tickit" in error
    assert f'Database user: "{pipeline_user(pipeline)}"' in error
    assert f"Missing privilege: CREATE on database {database}" in error
    assert f"Missing privilege: CREATE on database {database}" in failure_log(
        result, "create_schema"
    )


def test_a_missing_variable_fails_naming_it(landed):
    pipeline = landed
    alerts_before = len(pipeline.alerts())
    result = pipeline.run(
        DAG_ID, DAY, without=("AIRFLOW_VAR_LANDING_BUCKET",), only="wait_for_extracts"
    )

    assert {t.task_id: t.state for t in result.tasks}["wait_for_extracts"] == "failed"
    new_alerts = pipeline.alerts()[alerts_before:]
    assert any("wait_for_extracts" in subject for subject, _ in new_alerts)
    assert "Variable landing_bucket not found" in failure_log(result, "wait_for_extracts")


def test_a_missing_connection_fails_naming_it(landed):
    pipeline = landed
    result = pipeline.run(
        DAG_ID, DAY, without=("AIRFLOW_CONN_REDSHIFT_DEFAULT",), only=r"users\.check_staging_keys"
    )

    states = {t.task_id: t.state for t in result.tasks}
    assert states["users.copy_to_staging"] == "success"
    assert states["users.check_staging_keys"] == "failed"
    assert "redshift_default" in failure_log(result, "users.check_staging_keys")
