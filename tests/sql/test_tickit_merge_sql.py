"""The TICKIT merge and check SQL, executed on a real PostgreSQL.

SQL is rendered through the DAG's own tasks for a data interval, so these
tests see exactly what Redshift receives; Redshift-only syntax (DISTKEY,
SORTKEY) is transpiled by devkit.emulator.redshift.sql before it reaches Postgres.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from psycopg2.extras import execute_values

from deploy.dags.render import task_sql
from deploy.sample_data.tickit import generate
from devkit.airflow.dagrun import load_dag
from devkit.emulator.redshift.sql import split_statements, to_postgres
from lakehouse.tickit import TABLES

DAY = date(2008, 1, 2)
NEXT_DAY = DAY + timedelta(days=1)


@pytest.fixture(scope="module")
def dag():
    return load_dag("tickit__redshift_load")


@pytest.fixture(scope="module")
def data():
    return generate()


@pytest.fixture
def db(embedded_postgres, dag):
    """A fresh database holding the TICKIT schema, created by the DAG's own DDL tasks."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    embedded_postgres.create_database(name)
    conn = embedded_postgres.connect(name)
    statements = task_sql(dag, "create_schema", DAY)
    for table in TABLES:
        statements += task_sql(dag, f"{table.name}.ensure_tables", DAY)
    execute(conn, statements)
    yield conn
    conn.close()


def execute(conn, sql_texts: list[str]) -> None:
    """Run rendered SQL as Redshift would: the whole list is one transaction."""
    with conn.cursor() as cur:
        for text in sql_texts:
            for statement in split_statements(text):
                cur.execute(to_postgres(statement))
    conn.commit()


def query_row(conn, sql_texts: list[str]) -> tuple:
    (text,) = sql_texts
    with conn.cursor() as cur:
        cur.execute(to_postgres(split_statements(text)[0]))
        row = cur.fetchone()
    conn.rollback()
    return row


def stage(conn, table: str, rows: list[tuple]) -> None:
    with conn.cursor() as cur:
        cur.execute(f"TRUNCATE tickit.stg_{table}")
        if rows:
            execute_values(cur, f"INSERT INTO tickit.stg_{table} VALUES %s", rows)
    conn.commit()


def target(conn, table: str, key: str) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(f"SELECT * FROM tickit.{table} ORDER BY {key}")
        return cur.fetchall()


def merge(conn, dag, table: str, day: date) -> None:
    execute(conn, task_sql(dag, f"{table}.merge_into_target", day))


def check(conn, dag, task_id: str, day: date = DAY) -> tuple:
    return query_row(conn, task_sql(dag, task_id, day))


def sales_on(data, day: date) -> list[tuple]:
    return data.rows_for_day("sales", day)


def test_merge_loads_the_staged_interval(db, dag, data):
    rows = sales_on(data, DAY)
    assert rows, "the generator must produce sales on the test day"
    stage(db, "sales", rows)

    merge(db, dag, "sales", DAY)

    assert [r[0] for r in target(db, "sales", "salesid")] == sorted(r[0] for r in rows)
    assert all(check(db, dag, "sales.check_reconciles"))


def test_merging_the_same_interval_twice_leaves_the_same_rows(db, dag, data):
    stage(db, "sales", sales_on(data, DAY))
    merge(db, dag, "sales", DAY)
    first = target(db, "sales", "salesid")

    merge(db, dag, "sales", DAY)

    assert target(db, "sales", "salesid") == first


def test_a_corrected_re_extract_replaces_its_interval_only(db, dag, data):
    previous_day = DAY - timedelta(days=1)
    stage(db, "sales", sales_on(data, previous_day))
    merge(db, dag, "sales", previous_day)
    stage(db, "sales", sales_on(data, DAY))
    merge(db, dag, "sales", DAY)

    corrected = sales_on(data, DAY)[1:]  # upstream withdrew one sale
    stage(db, "sales", corrected)
    merge(db, dag, "sales", DAY)

    ids = {r[0] for r in target(db, "sales", "salesid")}
    assert ids == {r[0] for r in sales_on(data, previous_day) + corrected}
    assert all(check(db, dag, "sales.check_reconciles"))


def test_interval_bounds_are_half_open(db, dag, data):
    template = sales_on(data, DAY)[0]
    at = {
        "start": datetime(2008, 1, 2, 0, 0, 0),
        "last_microsecond": datetime(2008, 1, 2, 23, 59, 59, 999999),
        "next_day": datetime(2008, 1, 3, 0, 0, 0),
    }

    def sale(salesid, when):
        return (salesid,) + template[1:9] + (when,)

    stage(db, "sales", [sale(1, at["start"]), sale(2, at["last_microsecond"])])
    assert all(check(db, dag, "sales.check_staging_interval")), "the whole day is inside"

    stage(db, "sales", [sale(1, at["start"]), sale(3, at["next_day"])])
    assert check(db, dag, "sales.check_staging_interval") == (True, False)

    # The merge of day N never deletes the first instant of day N + 1.
    stage(db, "sales", [sale(3, at["next_day"])])
    merge(db, dag, "sales", NEXT_DAY)
    stage(db, "sales", [sale(1, at["start"]), sale(2, at["last_microsecond"])])
    merge(db, dag, "sales", DAY)
    assert [r[0] for r in target(db, "sales", "salesid")] == [1, 2, 3]


def test_staging_key_check_rejects_null_and_duplicate_keys(db, dag, data):
    rows = sales_on(data, DAY)[:3]
    stage(db, "sales", rows)
    assert check(db, dag, "sales.check_staging_keys") == (True, True, True)

    stage(db, "sales", rows + [rows[0]])
    assert check(db, dag, "sales.check_staging_keys") == (True, True, False)

    with db.cursor() as cur:  # LIKE copied NOT NULL; a null key must still be caught
        cur.execute("ALTER TABLE tickit.stg_sales ALTER COLUMN salesid DROP NOT NULL")
    db.commit()
    stage(db, "sales", rows + [(None,) + rows[0][1:]])
    assert check(db, dag, "sales.check_staging_keys") == (True, False, True)

    stage(db, "sales", [])
    assert check(db, dag, "sales.check_staging_keys")[0] is False


def test_reconcile_check_detects_a_lost_row(db, dag, data):
    stage(db, "sales", sales_on(data, DAY))
    merge(db, dag, "sales", DAY)
    with db.cursor() as cur:
        cur.execute("DELETE FROM tickit.sales WHERE salesid = %s", (sales_on(data, DAY)[0][0],))
    db.commit()

    assert check(db, dag, "sales.check_reconciles") == (False,)


def test_snapshot_merge_replaces_changed_rows_by_key(db, dag, data):
    users = data.tables["users"][:5]
    stage(db, "users", users)
    merge(db, dag, "users", DAY)

    renamed = (users[0][0], "U_RENAME") + users[0][2:]
    stage(db, "users", [renamed])
    merge(db, dag, "users", NEXT_DAY)

    rows = target(db, "users", "userid")
    assert len(rows) == 5
    assert rows[0][1].strip() == "U_RENAME"
    assert all(check(db, dag, "users.check_reconciles", NEXT_DAY))
