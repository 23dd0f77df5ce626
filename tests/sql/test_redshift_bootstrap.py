"""sql/redshift_bootstrap/ through deploy/redshift_bootstrap.py, on the emulated Data API.

The stack (infra/pipelines.yaml, applied by the deploy tool's own code) gives the
names and secrets; the statements run on PostgreSQL as the namespace's admin. Then
each user really has what the files grant, nothing more, and a second run creates
nothing.
"""

from __future__ import annotations

import json
import uuid

import psycopg2
import pytest

from deploy.errors import DeployError
from deploy.redshift_bootstrap import SQL_DIR, pipeline_user, run_bootstrap
from devkit.run.local_stack import apply_stack, deploy_clients


@pytest.fixture(scope="module")
def stack(local_aws):
    project = f"b{uuid.uuid4().hex[:8]}"
    outputs = apply_stack(local_aws, project, {"RedshiftDatabaseName": f"dev_{project}"})
    yield outputs, deploy_clients(local_aws)
    local_aws.client("cloudformation").delete_stack(StackName=project)  # frees fixed names


@pytest.fixture(scope="module")
def bootstrapped(stack, local_aws):
    outputs, clients = stack
    mark = len(local_aws.statements)
    done = run_bootstrap(clients, outputs)
    return outputs, done, local_aws.statements[mark:]


def _as(postgres, database: str, user: str, sql: str):
    conn = postgres.connect(database)
    try:
        with conn.cursor() as cur:
            cur.execute("SET SESSION AUTHORIZATION %s", (user,))
            cur.execute(sql)
            return cur.fetchall() if cur.description else None
    finally:
        conn.rollback()
        conn.close()


def test_every_file_runs_as_the_admin_in_order(bootstrapped):
    _, done, statements = bootstrapped
    assert [line.split(":")[0] for line in done] == sorted(p.name for p in SQL_DIR.glob("*.sql"))
    assert {s.user for s in statements} == {None}  # None: the namespace's admin
    assert all(s.status == "FINISHED" for s in statements)


def test_the_pipeline_user_may_create_schemas_and_owns_tickit(bootstrapped, local_aws):
    outputs, _, _ = bootstrapped
    user = pipeline_user(outputs["MwaaExecutionRoleArn"])
    database = outputs["RedshiftDatabase"]
    rows = _as(
        local_aws.postgres,
        database,
        user,
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
    )
    assert rows == [(False,)]
    _as(local_aws.postgres, database, user, "CREATE SCHEMA made_by_the_pipeline")
    owner = _as(
        local_aws.postgres,
        database,
        "postgres",
        "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'tickit'",
    )
    assert owner == [(f'"{user}"',)]


def test_the_datahub_user_has_the_secrets_password_and_reads_only_tickit(bootstrapped, local_aws):
    outputs, _, _ = bootstrapped
    secret = json.loads(
        local_aws.client("secretsmanager").get_secret_value(
            SecretId=outputs["DataHubRedshiftSecretArn"]
        )["SecretString"]
    )
    assert secret["username"] == "datahub_ingestion"
    database, pipeline = outputs["RedshiftDatabase"], pipeline_user(outputs["MwaaExecutionRoleArn"])
    conn = local_aws.postgres.connect(database)
    with conn.cursor() as cur:
        cur.execute(f'SET SESSION AUTHORIZATION "{pipeline}"')
        cur.execute("CREATE TABLE tickit.later (id INT)")
        cur.execute("SET SESSION AUTHORIZATION datahub_ingestion")
        cur.execute("SELECT COUNT(*) FROM tickit.later")  # default privileges reach it
        assert cur.fetchone() == (0,)
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("CREATE SCHEMA not_for_datahub")
    conn.rollback()
    conn.close()


def test_a_second_run_creates_no_user_and_changes_nothing(bootstrapped, stack, local_aws):
    outputs, clients = stack
    mark = len(local_aws.statements)
    run_bootstrap(clients, outputs)
    again = [s.sql for s in local_aws.statements[mark:]]
    assert not [sql for sql in again if sql.startswith("CREATE USER")]
    assert [sql for sql in again if sql.startswith("ALTER USER")][0].startswith(
        'ALTER USER "datahub_ingestion" PASSWORD'
    )


def test_a_failing_file_is_named_and_the_password_is_not_shown(stack, tmp_path, monkeypatch):
    outputs, clients = stack
    for path in SQL_DIR.glob("*.sql"):
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "02_pipeline_grants.sql").write_text("GRANT CREATE ON DATABASE no_such_db TO x;")
    monkeypatch.setattr("deploy.redshift_bootstrap.SQL_DIR", tmp_path)
    with pytest.raises(DeployError) as raised:
        run_bootstrap(clients, outputs)
    message = str(raised.value)
    assert "sql/redshift_bootstrap/02_pipeline_grants.sql" in message
    assert "no_such_db" in message


def test_missing_outputs_are_named(stack):
    _, clients = stack
    with pytest.raises(DeployError, match="RedshiftAdminSecretName"):
        run_bootstrap(clients, {"RedshiftWorkgroup": "w"})
