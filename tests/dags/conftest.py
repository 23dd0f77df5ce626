"""Integration fixtures: run real DAGs with dag.test() on the local AWS emulation."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date

import pytest
from devkit.emulator import patched_environ
from devkit.local_env import (
    LocalNames,
    interval_end,
    land_extracts,
    local_environment,
    migrate_metadata_db,
    provision,
    run_dag,
    sent_alerts,
)
from devkit.tickit_data import generate


@pytest.fixture(scope="session")
def airflow_db():
    """The SQLite metadata DB under .cache/airflow-test, migrated once per session."""
    migrate_metadata_db()


@pytest.fixture(scope="session")
def tickit_data():
    return generate()


class Pipeline:
    """One isolated 'environment': its own buckets, warehouse database and topic."""

    def __init__(self, aws, data):
        self.aws, self.data, self.names = aws, data, LocalNames.unique()
        provision(aws, self.names)
        self.env = local_environment(aws, self.names)

    def land(self, *days: date) -> None:
        land_extracts(self.aws, self.names.landing_bucket, self.data, list(days))

    def run(self, dag_id: str, day: date, without: tuple[str, ...] = (), only: str | None = None):
        """dag.test() for the interval [day, day + 1); `without` hides env vars."""
        with self.environment(without):
            return run_dag(dag_id, interval_end(day), only)

    @contextmanager
    def environment(self, without: tuple[str, ...] = ()):
        saved = {name: os.environ.pop(name, None) for name in without}
        try:
            with patched_environ({k: v for k, v in self.env.items() if k not in without}):
                yield
        finally:
            os.environ.update({k: v for k, v in saved.items() if v is not None})

    def query(self, sql: str, *args) -> list[tuple]:
        with self.aws.postgres.connect(self.names.database) as conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def alerts(self) -> list[tuple[str, str]]:
        return sent_alerts(self.aws, self.names)

    def statements_since(self, mark: int) -> list[str]:
        return [record.sql for record in self.aws.statements[mark:]]


@pytest.fixture(scope="module")
def new_pipeline(local_aws, airflow_db, tickit_data):
    return lambda: Pipeline(local_aws, tickit_data)
