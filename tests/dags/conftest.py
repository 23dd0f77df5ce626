"""Integration fixtures: run real DAGs with dag.test() on the local AWS emulation."""

from __future__ import annotations

from datetime import date

import pytest

from devkit.airflow.settings import migrate_metadata_db
from devkit.domains import for_dags
from devkit.run.local_env import LocalPipeline


@pytest.fixture(autouse=True)
def iam_checked(running_pipelines):
    """The pipelines every test here is checked against (pytest_runtest_call)."""
    return running_pipelines


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Every AWS access since the last check, against the roles' policies: a denial fails
    the test, naming role, action, resource and the template resource to change."""
    pipelines = item.funcargs["iam_checked"]
    try:
        result = yield
    except BaseException:
        pipelines.check_iam()  # the failure says enough; the next test starts clean
        raise
    pipelines.check_iam().raise_for_problems()
    return result


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


TICKIT_NIGHTS = (date(2008, 1, 2), date(2008, 1, 3))


@pytest.fixture(scope="session")
def tickit_two_nights(local_aws, airflow_db):
    """Two nights of tickit__redshift_load, lineage on: shared by both TICKIT test files.

    (pipeline, the two DagRunResults, every Redshift statement of the runs). The load
    costs more than anything the files then check, so they share one (tests/conftest.py
    keeps both files on one xdist worker); the lineage domain makes the plugin record
    the lineage test_tickit__sales_by_category.py asserts.
    """
    pipeline = LocalPipeline(
        local_aws, domains=for_dags(("tickit__sales_by_category",), also=("lineage",))
    )
    pipeline.land(*TICKIT_NIGHTS)
    mark = len(pipeline.aws.statements)
    results = [pipeline.run("tickit__redshift_load", day) for day in TICKIT_NIGHTS]
    return pipeline, results, pipeline.statements_since(mark)
