"""Redshift enforces privileges locally: a grant missing from the bootstrap fails the run.

The DAGs' Data API statements run as "IAMR:<MWAA role name>", a non-superuser that
has only what sql/redshift_bootstrap/ grants. One task (tickit__redshift_load's
create_schema, after its extracts sensor) is enough to prove it, both ways.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from deploy import redshift_bootstrap

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


def test_with_the_bootstrap_the_pipeline_user_creates_its_schema(new_pipeline):
    pipeline = new_pipeline("tickit__redshift_load")
    pipeline.land(DAY)
    mark = len(pipeline.aws.statements)
    result = pipeline.run("tickit__redshift_load", DAY, only="create_schema")
    assert _state(result, "create_schema") == "success"
    users = {s.user for s in pipeline.aws.statements[mark:]}
    assert users == {pipeline_user(pipeline)}
    assert pipeline_user(pipeline).startswith("IAMR:")


def test_a_missing_grant_fails_naming_statement_user_and_privilege(
    new_pipeline, without_the_create_grant
):
    pipeline = new_pipeline("tickit__redshift_load")
    pipeline.land(DAY)
    mark = len(pipeline.aws.statements)
    result = pipeline.run("tickit__redshift_load", DAY, only="create_schema")
    assert _state(result, "create_schema") == "failed"
    failed = [s for s in pipeline.aws.statements[mark:] if s.status == "FAILED"]
    assert len(failed) == 1
    error = failed[0].error
    database = pipeline.variables["redshift_database"]
    assert f"permission denied for database {database}" in error
    assert "Statement: CREATE SCHEMA IF NOT EXISTS tickit" in error
    assert f'Database user: "{pipeline_user(pipeline)}"' in error
    assert f"Missing privilege: CREATE on database {database}" in error
    log = next(t for t in result.tasks if t.task_id == "create_schema").log.read_text()
    assert f"Missing privilege: CREATE on database {database}" in log
