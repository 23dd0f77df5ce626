"""The local stand-in for an MWAA environment: Airflow on SQLite, AWS emulated.

Shared by the run command (`devkit/run_pipelines.py`) and the integration
tests, so both exercise exactly the same set-up.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from devkit.tickit_data import TickitData, extract_objects

REPO = Path(__file__).resolve().parents[1]
LANDING_BUCKET = "local-landing"
LAKE_BUCKET = "local-lake"
ALERTS_TOPIC = "local-airflow-alerts"


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


def local_variables(aws) -> dict[str, str]:
    """Values for every Airflow Variable the DAGs read (lakehouse.conventions.Var)."""
    from lakehouse.conventions import Var

    values = {
        Var.LANDING_BUCKET: LANDING_BUCKET,
        Var.LAKE_BUCKET: LAKE_BUCKET,
        Var.REDSHIFT_DATABASE: "dev",
        Var.REDSHIFT_WORKGROUP: "local",
        Var.GLUE_CRAWLER_ROLE_ARN: f"arn:aws:iam::{aws.account_id}:role/local-glue-crawler",
        Var.GLUE_DATABASE: "tickit_gold",
        Var.ATHENA_WORKGROUP: "primary",
        Var.ALERTS_TOPIC_ARN: f"arn:aws:sns:{aws.region}:{aws.account_id}:{ALERTS_TOPIC}",
    }
    missing = set(Var) - set(values)
    assert not missing, f"devkit.local_env has no local value for Variables {sorted(missing)}"
    return {f"AIRFLOW_VAR_{name.value.upper()}": value for name, value in values.items()}


def provision(aws) -> None:
    """Create what the one-time AWS set-up creates: buckets and the alerts topic."""
    for bucket in (LANDING_BUCKET, LAKE_BUCKET):
        aws.create_bucket(bucket)
    aws.client("sns").create_topic(Name=ALERTS_TOPIC)


def land_extracts(aws, data: TickitData, days: list[date]) -> int:
    """Upload each night's extracts to the landing bucket; returns the object count."""
    s3 = aws.s3_client()
    count = 0
    for day in days:
        for key, body in extract_objects(data, day).items():
            s3.put_object(Bucket=LANDING_BUCKET, Key=key, Body=body)
            count += 1
    return count


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


def run_dag(dag_id: str, logical_date: datetime) -> DagRunResult:
    """Run one DagRun in-process with dag.test() (deferred tasks run their triggers inline).

    Retries are switched off: locally a failure should show at once, not after
    the production back-off.
    """
    reuse_in_process_api()
    dag = load_dag(dag_id)
    for task in dag.tasks:
        task.retries = 0
    started = time.monotonic()
    dag_run = dag.test(logical_date=logical_date)
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


def _start_order(ti) -> tuple:
    return (ti.start_date is None, ti.start_date or datetime.min.replace(tzinfo=timezone.utc))
