"""Integration fixtures: run real DAGs with dag.test() on the local AWS emulation."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest

from devkit.airflow.settings import LINEAGE_OFF, LINEAGE_SWITCH, migrate_metadata_db
from devkit.domains import for_dags
from devkit.run.local_up import new_stack_name, pipeline_on_stack


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
    """A factory of isolated pipelines on the emulation, each on a stack of its own made
    by `deploy up`'s steps as the run command's is (devkit/run/local_up.py).

    `new_pipeline("tickit__redshift_load")` adds only what those DAGs' domains register,
    so a test pays for no other domain's set-up.
    """
    return lambda *dag_ids: pipeline_on_stack(
        local_aws, new_stack_name(), domains=for_dags(dag_ids) if dag_ids else None
    )


TICKIT_NIGHTS = (date(2008, 1, 2), date(2008, 1, 3))


@pytest.fixture(scope="session")
def tickit_two_nights(local_aws, airflow_db):
    """Two nights of tickit__redshift_load, the last with lineage: shared by both TICKIT
    test files.

    (pipeline, the two DagRunResults, every Redshift statement of the runs). The load
    costs more than anything the files then check, so they share one (tests/conftest.py
    keeps both files on one xdist worker); the lineage domain makes the plugin record
    the lineage test_tickit__sales_by_category.py asserts, all of the last night's. The
    first night runs with the plugin's kill switch on: its listener is about 30% of a
    night's CPU (yappi), and the last night passes every task through it.
    """
    pipeline = pipeline_on_stack(
        local_aws,
        new_stack_name(),
        domains=for_dags(("tickit__sales_by_category",), also=("lineage",)),
    )
    pipeline.land(*TICKIT_NIGHTS)
    mark = len(pipeline.aws.statements)
    first, last = TICKIT_NIGHTS
    with lineage_off(pipeline):
        results = [pipeline.run("tickit__redshift_load", first)]
    results.append(pipeline.run("tickit__redshift_load", last))
    return pipeline, results, pipeline.statements_since(mark)


@contextmanager
def lineage_off(pipeline):
    """The DataHub plugin's kill switch (an env var it reads per event) on for a block."""
    switch = f"AIRFLOW_VAR_{LINEAGE_SWITCH.upper()}"
    saved = pipeline.env[switch]
    pipeline.env[switch] = LINEAGE_OFF
    try:
        yield
    finally:
        pipeline.env[switch] = saved
