"""Integration fixtures: run real DAGs with dag.test() on the local AWS emulation."""

from __future__ import annotations

import pytest

from devkit.airflow_local import migrate_metadata_db
from devkit.domains import for_dags
from devkit.local_env import LocalPipeline


@pytest.fixture(scope="session")
def airflow_db():
    """The SQLite metadata DB under .cache/airflow-test-*, migrated once per session."""
    migrate_metadata_db()


@pytest.fixture(scope="module")
def new_pipeline(local_aws, airflow_db):
    """A factory of isolated pipelines (unique buckets, databases, topic) on the emulation.

    `new_pipeline("tickit__redshift_load")` provisions only what those DAGs need
    (their domains' registrations), so a test pays for no other domain's set-up.
    """
    return lambda *dag_ids: LocalPipeline(local_aws, domains=for_dags(dag_ids) if dag_ids else None)
