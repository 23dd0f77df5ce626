"""Integration fixtures: run real DAGs with dag.test() on the local AWS emulation."""

from __future__ import annotations

import pytest

from devkit.airflow_local import migrate_metadata_db
from devkit.local_env import LocalPipeline


@pytest.fixture(scope="session")
def airflow_db():
    """The SQLite metadata DB under .cache/airflow-test-*, migrated once per session."""
    migrate_metadata_db()


@pytest.fixture(scope="module")
def new_pipeline(local_aws, airflow_db):
    """A factory of isolated pipelines (unique buckets, databases, topic) on the emulation."""
    return lambda: LocalPipeline(local_aws)
