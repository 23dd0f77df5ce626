"""Integration fixtures: run real DAGs with dag.test() on the local AWS emulation."""

from __future__ import annotations

import pytest
from devkit.local_env import LocalPipeline, migrate_metadata_db
from devkit.tickit_data import generate


@pytest.fixture(scope="session")
def airflow_db():
    """The SQLite metadata DB under .cache/airflow-test, migrated once per session."""
    migrate_metadata_db()


@pytest.fixture(scope="session")
def tickit_data():
    return generate()


@pytest.fixture(scope="module")
def new_pipeline(local_aws, airflow_db, tickit_data):
    return lambda: LocalPipeline(local_aws, tickit_data)
