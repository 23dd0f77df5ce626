"""sql/redshift_bootstrap/03_datahub_reader_grants.sql on PostgreSQL: the DataHub user reads.

The schema and tables come from the TICKIT DAG's own DDL tasks, created by a pipeline
user; after the grants, a DataHub user reads every table, including one the pipeline
creates later (default privileges). SYSLOG ACCESS is Redshift-only: checked as text.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from jinja2 import Template

from deploy.dags.render import task_sql
from devkit.airflow.dagrun import load_dag
from devkit.emulator.redshift.sql import split_statements, strip_comments, to_postgres
from devkit.paths import SQL_DIR
from lakehouse.tickit import TABLES

GRANTS = SQL_DIR / "redshift_bootstrap" / "03_datahub_reader_grants.sql"
DAY = date(2008, 1, 2)


def rendered(datahub_user: str, pipeline_user: str) -> list[str]:
    params = {"datahub_user": datahub_user, "pipeline_user": pipeline_user}
    sql = Template(GRANTS.read_text()).render(params=params)
    return [strip_comments(statement).strip() for statement in split_statements(sql)]


@pytest.fixture
def warehouse(embedded_postgres):
    """A database whose tickit schema a pipeline role owns; a DataHub role that can log in."""
    tag = uuid.uuid4().hex[:10]
    name, pipeline, datahub = f"g_{tag}", f"pipeline_{tag}", f"datahub_{tag}"
    embedded_postgres.create_database(name)
    admin = embedded_postgres.connect(name)
    with admin.cursor() as cur:
        cur.execute(f"CREATE ROLE {pipeline} LOGIN; CREATE ROLE {datahub} LOGIN")
        cur.execute(f"GRANT CREATE ON DATABASE {name} TO {pipeline}")
        cur.execute(f"SET ROLE {pipeline}")
        dag = load_dag("tickit__redshift_load")
        ddl = task_sql(dag, "create_schema", DAY)
        for table in TABLES:
            ddl += task_sql(dag, f"{table.name}.ensure_tables", DAY)
        for text in ddl:
            for statement in split_statements(text):
                cur.execute(to_postgres(statement))
        cur.execute("RESET ROLE")
    admin.commit()
    yield admin, pipeline, datahub
    admin.close()


def test_the_datahub_user_reads_every_table_now_and_later(warehouse):
    admin, pipeline, datahub = warehouse
    statements = rendered(datahub, pipeline)
    syslog = [s for s in statements if "SYSLOG" in s]
    assert syslog == [f"ALTER USER {datahub} SYSLOG ACCESS UNRESTRICTED"]
    with admin.cursor() as cur:
        for statement in statements:
            if statement not in syslog:
                cur.execute(statement)
        cur.execute(f"SET ROLE {pipeline}")
        cur.execute("CREATE TABLE tickit.created_later (id INT)")
        cur.execute(f"SET ROLE {datahub}")
        for name in [table.name for table in TABLES] + ["created_later"]:
            cur.execute(f"SELECT COUNT(*) FROM tickit.{name}")
            assert cur.fetchone() == (0,), name
        cur.execute("RESET ROLE")
    admin.rollback()


def test_without_the_grants_the_datahub_user_reads_nothing(warehouse):
    import psycopg2

    admin, _, datahub = warehouse
    with admin.cursor() as cur:
        cur.execute(f"SET ROLE {datahub}")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("SELECT COUNT(*) FROM tickit.sales")
    admin.rollback()
