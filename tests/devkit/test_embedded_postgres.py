"""EmbeddedPostgres: real server, isolated databases, Airflow connections that connect."""

import psycopg2
import sqlalchemy


def test_create_database_is_isolated_and_uri_works(embedded_postgres):
    uri = embedded_postgres.create_database("iso_check")
    engine = sqlalchemy.create_engine(uri)
    with engine.begin() as conn:
        conn.exec_driver_sql("create table only_here (x int)")
        assert conn.exec_driver_sql("select current_database()").scalar() == "iso_check"
    engine.dispose()
    with psycopg2.connect(**embedded_postgres.dsn) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('only_here')")
        assert cur.fetchone()[0] is None
    conn.close()


def test_airflow_conn_uri_and_json_connect_with_postgres_hook(embedded_postgres, monkeypatch):
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    embedded_postgres.create_database("hook_check", exist_ok=True)
    monkeypatch.setenv("AIRFLOW_CONN_PG_URI", embedded_postgres.airflow_conn_uri("hook_check"))
    monkeypatch.setenv("AIRFLOW_CONN_PG_JSON", embedded_postgres.airflow_conn_json("hook_check"))
    for conn_id in ("pg_uri", "pg_json"):
        row = PostgresHook(postgres_conn_id=conn_id).get_first("select current_database(), 41 + 1")
        assert tuple(row) == ("hook_check", 42)
