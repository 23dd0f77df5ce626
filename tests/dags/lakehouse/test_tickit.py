from __future__ import annotations

import re

import pytest

from devkit.paths import SQL_DIR
from lakehouse.tickit import COPY_OPTIONS, TABLES, TABLES_BY_NAME

SQL = SQL_DIR / "tickit"


def ddl_columns(table: str) -> list[str]:
    text = (SQL / "ddl" / f"{table}.sql").read_text()
    body = text[text.index("(") + 1 : text.rindex(")")]
    return [line.split()[0] for line in body.strip().splitlines()]


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_table_has_ddl_naming_its_key_and_event_time(table):
    columns = ddl_columns(table.name)
    assert table.key_column in columns
    if table.event_time_column:
        assert table.event_time_column in columns


def test_tables_are_unique_and_indexed():
    assert len(TABLES_BY_NAME) == len(TABLES) == 7


def test_staging_and_asset_names_follow_the_table():
    sales = TABLES_BY_NAME["sales"]
    assert sales.staging_name == "stg_sales"
    assert sales.asset.name == "redshift.tickit.sales"


def test_landing_prefix_is_keyed_by_the_interval_start_day():
    assert TABLES_BY_NAME["sales"].landing_prefix() == (
        "tickit/sales/ds={{ data_interval_start | ds }}/"
    )
    assert TABLES_BY_NAME["users"].landing_prefix("2008-01-02") == "tickit/users/ds=2008-01-02/"


def test_only_facts_carry_an_event_time():
    facts = {t.name for t in TABLES if t.event_time_column}
    assert facts == {"listing", "sales"}


def test_sql_params_expose_what_the_templates_use():
    used = set()
    for path in SQL.rglob("*.sql"):
        used |= set(re.findall(r"params\.(\w+)", path.read_text()))
    assert used <= set(TABLES_BY_NAME["sales"].sql_params())


def test_copy_fails_on_the_first_bad_row():
    assert "MAXERROR 0" in COPY_OPTIONS


def test_task_params_are_what_airflow_makes_of_the_sql_params():
    """The DAG gives its SQL tasks task_params() once built; it must equal `params=`'s result."""
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    sales = TABLES_BY_NAME["sales"]
    with DAG(dag_id="tickit__params", schedule=None):
        given = EmptyOperator(task_id="given", params=sales.sql_params())
    built = sales.task_params()
    assert {k: p.dump() for k, p in built.items()} == {k: p.dump() for k, p in given.params.items()}
    assert {p.source for p in built.values()} == {"task"}
