"""The local stand-in for an MWAA environment: Airflow on SQLite, AWS emulated.

Shared by the run command (`devkit/run_pipelines.py`) and the integration
tests, so both exercise exactly the same set-up.
"""

from __future__ import annotations

import functools
import os
import re
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from devkit.tickit_data import TickitData, extract_objects

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class LocalNames:
    """What the one-time AWS set-up would create; tests use unique ones per module."""

    landing_bucket: str = "local-landing"
    lake_bucket: str = "local-lake"
    database: str = "dev"
    glue_database: str = "tickit_gold"
    alerts_topic: str = "local-airflow-alerts"

    @classmethod
    def unique(cls) -> "LocalNames":
        tag = uuid.uuid4().hex[:10]
        return cls(f"landing-{tag}", f"lake-{tag}", f"dev_{tag}", f"gold_{tag}", f"alerts-{tag}")

    def topic_arn(self, aws) -> str:
        return f"arn:aws:sns:{aws.region}:{aws.account_id}:{self.alerts_topic}"


def airflow_settings(home: Path) -> dict[str, str]:
    """Airflow configuration as env vars: the repo's folders, SQLite, no examples."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "PYTHONPATH": os.pathsep.join([str(REPO / "plugins"), str(REPO / "dags"), str(REPO)]),
    }


def local_variables(aws, names: LocalNames) -> dict[str, str]:
    """AIRFLOW_VAR_* for every Variable the DAGs read (lakehouse.conventions.Var)."""
    from lakehouse.conventions import Var

    values = {
        Var.LANDING_BUCKET: names.landing_bucket,
        Var.LAKE_BUCKET: names.lake_bucket,
        Var.REDSHIFT_DATABASE: names.database,
        Var.REDSHIFT_WORKGROUP: "local",
        Var.GLUE_CRAWLER_ROLE_ARN: f"arn:aws:iam::{aws.account_id}:role/local-glue-crawler",
        Var.GLUE_DATABASE: names.glue_database,
        Var.ATHENA_WORKGROUP: "primary",
        Var.ALERTS_TOPIC_ARN: names.topic_arn(aws),
    }
    missing = set(Var) - set(values)
    assert not missing, f"devkit.local_env has no local value for Variables {sorted(missing)}"
    return {f"AIRFLOW_VAR_{name.value.upper()}": value for name, value in values.items()}


def local_environment(aws, names: LocalNames) -> dict[str, str]:
    """Every env var a local run needs: AWS endpoint, Connections and Variables.

    The SQL check operators' connection points at the same Postgres database
    the Data API writes to, so checks read what the merges wrote.
    """
    return {
        **aws.environment(),
        "AIRFLOW_CONN_REDSHIFT_DEFAULT": aws.postgres.airflow_conn_json(names.database),
        **local_variables(aws, names),
    }


def provision(aws, names: LocalNames) -> None:
    """Create what the one-time AWS set-up creates: buckets, warehouse DB, alerts topic."""
    for bucket in (names.landing_bucket, names.lake_bucket):
        aws.create_bucket(bucket)
    aws.postgres.create_database(names.database, exist_ok=True)
    aws.client("sns").create_topic(Name=names.alerts_topic)


def land_extracts(aws, bucket: str, data: TickitData, days: list[date]) -> int:
    """Upload each night's extracts to the landing bucket; returns the object count."""
    count = 0
    for day in days:
        for key, body in extract_objects(data, day).items():
            aws.put_object(bucket, key, body)
            count += 1
    return count


def sent_alerts(aws, names: LocalNames) -> list[tuple[str, str]]:
    """(subject, message) of every alert published to the local topic."""
    from moto.sns.models import sns_backends

    topic = sns_backends[aws.account_id][aws.region].topics[names.topic_arn(aws)]
    return [(subject, message) for _, message, subject, *_ in topic.sent_notifications]


class LocalPipeline:
    """One isolated environment on the emulation: its buckets, warehouse DB, topic, settings.

    The run command uses the default names; each integration-test module gets
    unique ones, so they never see each other's data.
    """

    def __init__(self, aws, data: TickitData, names: LocalNames | None = None):
        self.aws, self.data, self.names = aws, data, names or LocalNames.unique()
        provision(aws, self.names)
        self.env = local_environment(aws, self.names)

    def land(self, *days: date) -> int:
        return land_extracts(self.aws, self.names.landing_bucket, self.data, list(days))

    def run(self, dag_id: str, day: date, without: tuple[str, ...] = (), only: str | None = None):
        """dag.test() for the interval [day, day + 1); `without` hides settings (env vars)."""
        with self.environment(without):
            return run_dag(dag_id, interval_end(day), only)

    def environment(self, without: tuple[str, ...] = ()):
        """This pipeline's settings as env vars for a block; `without` unsets some."""
        from devkit.emulator import patched_environ

        return patched_environ({**self.env, **dict.fromkeys(without)})

    def query(self, sql: str, *args) -> list[tuple]:
        with self.aws.postgres.connect(self.names.database) as conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def alerts(self) -> list[tuple[str, str]]:
        return sent_alerts(self.aws, self.names)

    def statements_since(self, mark: int) -> list[str]:
        return [record.sql for record in self.aws.statements[mark:]]


def migrate_metadata_db() -> None:
    """Create or upgrade the SQLite metadata DB (idempotent)."""
    from airflow.utils.db import upgradedb

    upgradedb()


def interval_end(day: date) -> datetime:
    """The logical date whose inferred data interval is the whole of `day` (UTC)."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)


@dataclass
class TaskResult:
    task_id: str
    state: str
    seconds: float


@dataclass
class DagRunResult:
    dag_id: str
    logical_date: datetime
    state: str
    tasks: list[TaskResult]
    seconds: float = 0.0

    @property
    def failed(self) -> list[TaskResult]:
        return [t for t in self.tasks if t.state != "success"]


def load_dag(dag_id: str):
    """Parse one DAG file (file name = dag_id) the way the scheduler does."""
    from airflow.dag_processing.dagbag import DagBag

    path = REPO / "dags" / f"{dag_id}.py"
    bag = DagBag(dag_folder=str(path), include_examples=False)
    if bag.import_errors:
        raise RuntimeError(f"{path.name} does not import: {bag.import_errors}")
    return bag.dags[dag_id]


def reuse_in_process_api() -> None:
    """Build dag.test()'s in-process Execution API once per process, not once per task.

    Airflow 3.2 creates (and initialises, ~1.5 s of CPU) a new FastAPI app for
    every task dag.test() runs; the app holds no per-task state, so one is
    enough. Private API: if it moves, runs are merely slower.
    """
    from airflow.sdk.execution_time import supervisor

    original = getattr(supervisor, "in_process_api_server", None)
    if original is not None and not hasattr(original, "cache_info"):
        supervisor.in_process_api_server = functools.cache(original)


def share_botocore_endpoint_data() -> None:
    """Parse botocore's endpoint tables once per process, not once per boto3 session.

    Every hook builds a new boto3 session and botocore re-reads endpoints.json
    (~1 MB of JSON) for each; locally that was a third of a DAG run's CPU. The
    tables are read-only to botocore, so one parsed copy can serve all sessions.
    """
    from botocore import loaders

    if getattr(loaders.JSONFileLoader.load_file, "_devkit_shared", False):
        return
    original = loaders.JSONFileLoader.load_file
    cache: dict[str, object] = {}

    def load_file(self, file_path):
        if not file_path.endswith(("endpoints", "partitions")):
            return original(self, file_path)
        if file_path not in cache:
            cache[file_path] = original(self, file_path)
        return cache[file_path]

    load_file._devkit_shared = True
    loaders.JSONFileLoader.load_file = load_file


def run_dag(dag_id: str, logical_date: datetime, only: str | None = None) -> DagRunResult:
    """Run one DagRun in-process with dag.test() (deferred tasks run their triggers inline).

    Retries are switched off: locally a failure should show at once, not after
    the production back-off. `only` is a task-id regex: run those tasks and
    their upstreams (like `airflow tasks test` for a slice of the DAG).
    """
    reuse_in_process_api()
    share_botocore_endpoint_data()
    dag = load_dag(dag_id)
    if only:
        wanted = [task_id for task_id in dag.task_ids if re.fullmatch(only, task_id)]
        if not wanted:
            raise ValueError(f"no task of {dag_id} matches {only!r}")
        dag = dag.partial_subset(task_ids=wanted, include_upstream=True)
    for task in dag.tasks:
        task.retries = 0
    started = time.monotonic()
    dag_run = dag.test(logical_date=logical_date)
    _drop_finished_triggers()
    tasks = [
        TaskResult(
            ti.task_id,
            str(ti.state.value if hasattr(ti.state, "value") else ti.state),
            ti.duration or 0.0,
        )
        for ti in sorted(dag_run.get_task_instances(), key=_start_order)
    ]
    state = str(getattr(dag_run.state, "value", dag_run.state))
    return DagRunResult(dag_id, logical_date, state, tasks, time.monotonic() - started)


def _drop_finished_triggers() -> None:
    """dag.test() runs triggers inline but leaves their rows behind; a later
    `airflow standalone` triggerer would pick those orphans up and crash."""
    from airflow.models.trigger import Trigger

    Trigger.clean_unused()


def _start_order(ti) -> tuple:
    return (ti.start_date is None, ti.start_date or datetime.min.replace(tzinfo=timezone.utc))
