"""Airflow on this machine: settings, the metadata DB, and one DagRun with dag.test().

`run_dag` is the one code path for the run command and the integration tests.
Each task's full log (Airflow's, the libraries', anything printed) goes to its
own file under ``$AIRFLOW_HOME/logs/``; the terminal only gets what the caller
prints, plus an optional live progress callback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

from devkit import patches
from devkit.paths import DAGS_DIR, PLUGINS_DIR

Progress = Callable[[int, int, str], None]  # (tasks done, tasks in the run, current task)
# The DataHub plugin's kill switch, a Variable it reads on every hook. The plugin names
# the negative ("true" disables its listener); LINEAGE_ON and LINEAGE_OFF name its values.
LINEAGE_SWITCH = "datahub_airflow_plugin_disable_listener"
LINEAGE_ON, LINEAGE_OFF = "false", "true"


def airflow_settings(home: Path) -> dict[str, str]:
    """Airflow configuration as env vars: the repo's folders, SQLite, no examples."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        # DataHub lineage plugin (docs/datahub.md): to the `datahub-file` connection the
        # lineage domain defines; a failing emitter is logged, never fails a task.
        # On unless AIRFLOW__DATAHUB__ENABLED=False is exported; with the file-emitter
        # patches of devkit/patches/for_datahub_plugin.py it costs ~0.1 s a task.
        "AIRFLOW__DATAHUB__ENABLED": os.environ.get("AIRFLOW__DATAHUB__ENABLED", "True"),
        # ... but lineage is off unless the lineage domain runs (its file connection;
        # the datahub domain needs it): its Variable turns lineage on.
        f"AIRFLOW_VAR_{LINEAGE_SWITCH.upper()}": LINEAGE_OFF,
        "AIRFLOW__DATAHUB__CONN_ID": "datahub_file_default",
        "AIRFLOW__DATAHUB__EMIT_MODE": "ASYNC",
        # Lineage only: no run events, no placeholder datasets (the file emitter
        # rewrites its whole file per event, so fewer events keep runs fast).
        "AIRFLOW__DATAHUB__CAPTURE_EXECUTIONS": "False",
        "AIRFLOW__DATAHUB__MATERIALIZE_IOLETS": "False",
        "DATAHUB_TELEMETRY_ENABLED": "false",  # no phoning home from a laptop or CI
        # dag.test() runs tasks in-process: the listener's worker thread then waits on
        # the task's own supervisor channel and times out (10 s a hook); run it inline.
        "DATAHUB_AIRFLOW_PLUGIN_RUN_IN_THREAD": "false",
    }


def logs_dir() -> Path:
    return Path(os.environ["AIRFLOW_HOME"]) / "logs"


def migrate_metadata_db() -> None:
    """Create or upgrade the SQLite metadata DB (idempotent).

    An up-to-date DB is recognised by its alembic revision, because `upgradedb`
    spends ~1.5 s loading the migration scripts just to find nothing to do.
    """
    from airflow.utils import db

    heads = getattr(db, "_REVISION_HEADS_MAP", None)  # Airflow version -> its head revision
    if not heads or _revision() != list(heads.values())[-1]:
        db.upgradedb()


def _revision() -> str | None:
    from airflow.utils.session import create_session
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    try:
        with create_session() as session:
            return session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError:  # no DB or no table yet
        return None


def interval_end(day: date) -> datetime:
    """The logical date whose inferred data interval is the whole of `day` (UTC)."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)


@dataclass
class TaskResult:
    task_id: str
    state: str
    seconds: float
    log: Path | None = None  # None for tasks that never ran (upstream_failed, skipped)

    def log_tail(self, lines: int = 8) -> list[str]:
        if self.log is None or not self.log.is_file():
            return []
        return self.log.read_text(errors="replace").splitlines()[-lines:]


@dataclass
class DagRunResult:
    dag_id: str
    logical_date: datetime
    state: str
    tasks: list[TaskResult] = field(default_factory=list)
    seconds: float = 0.0
    log: Path | None = None  # the run's own log (scheduling loop, trigger rows)

    @property
    def failed(self) -> list[TaskResult]:
        return [t for t in self.tasks if t.state != "success"]

    def updated_assets(self, dag) -> set[str]:
        """Names of the Assets that this run's successful tasks updated."""
        done = {t.task_id for t in self.tasks if t.state == "success"}
        return {a.name for t in dag.tasks if t.task_id in done for a in t.outlets}


def load_dag(dag_id: str, dags_dir: Path = DAGS_DIR):
    """Parse one DAG file (file name = dag_id) the way the scheduler does."""
    from airflow.dag_processing.dagbag import DagBag

    path = dags_dir / f"{dag_id}.py"
    bag = DagBag(dag_folder=str(path), include_examples=False)
    if bag.import_errors:
        raise RuntimeError(f"{path.name} does not import: {bag.import_errors}")
    if dag_id not in bag.dags:
        raise KeyError(f"{path.name} defines no DAG {dag_id!r} (found {sorted(bag.dags)})")
    return bag.dags[dag_id]


def run_dag(
    dag_id: str,
    logical_date: datetime,
    only: str | None = None,
    progress: Progress | None = None,
    dag=None,
) -> DagRunResult:
    """Run one DagRun in-process with dag.test() (deferred tasks run their triggers inline).

    Retries are switched off: locally a failure should show at once, not after
    the production back-off. `only` is a task-id regex: run those tasks and
    their upstreams (like `airflow tasks test` for a slice of the DAG).
    """
    patches.apply_all()
    dag = dag or load_dag(dag_id)
    if only:
        wanted = [task_id for task_id in dag.task_ids if re.fullmatch(only, task_id)]
        if not wanted:
            raise ValueError(f"no task of {dag_id} matches {only!r}")
        dag = dag.partial_subset(task_ids=wanted, include_upstream=True)
    for task in dag.tasks:
        task.retries = 0
    run_dir = logs_dir() / f"dag_id={dag_id}" / f"logical_date={logical_date:%Y-%m-%dT%H%M}"
    run_log = run_dir / "dag_run.log"
    logs: dict[str, Path] = {}
    run_log.unlink(missing_ok=True)
    started = time.monotonic()
    # One log per task and deferrals resumed together: a patch (devkit/patches/for_airflow.py).
    # Without it every task logs into the run's log.
    with patches.scoped("task_logs_and_deferrals", run_dir, logs, len(dag.tasks), progress):
        with output_to(run_log):
            dag_run = dag.test(logical_date=logical_date)
            _drop_finished_triggers()
    ran = {"success", "failed", "up_for_retry", "up_for_reschedule"}
    tasks = [
        TaskResult(
            ti.task_id,
            _state(ti.state),
            ti.duration or 0.0,
            logs.get(ti.task_id, run_log if _state(ti.state) in ran else None),
        )
        for ti in sorted(dag_run.get_task_instances(), key=_start_order)
    ]
    return DagRunResult(
        dag_id,
        logical_date,
        _state(dag_run.state),
        tasks,
        time.monotonic() - started,
        run_log,
    )


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Send everything written to stdout/stderr (file descriptors 1 and 2) to `path`.

    At the descriptor level, so prints from Airflow itself, structlog, warnings
    and child processes all land in the file, not on the terminal.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = os.dup(1), os.dup(2)
    streams = sys.stdout, sys.stderr
    with open(path, "ab") as target, open(path, "a", buffering=1, errors="replace") as text:
        os.dup2(target.fileno(), 1)
        os.dup2(target.fileno(), 2)
        # Python-level streams too: a test runner may have replaced them with its own.
        sys.stdout = sys.stderr = text
        try:
            yield
        finally:
            text.flush()
            sys.stdout, sys.stderr = streams
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


@contextlib.contextmanager
def log_records_to(path: Path) -> Iterator[None]:
    """Route stdlib logging records to `path` alone for the block.

    Records would otherwise reach whatever handlers are installed (pytest's
    capture, Airflow's console handler) instead of the task's log file.
    """
    root = logging.getLogger()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    saved = root.handlers[:]
    root.handlers = [handler]
    try:
        yield
    finally:
        root.handlers = saved
        handler.close()


def _state(state) -> str:
    return str(getattr(state, "value", state))


def _drop_finished_triggers() -> None:
    """dag.test() runs triggers inline but leaves their rows behind; a later
    `airflow standalone` triggerer would pick those orphans up and crash."""
    from airflow.models.trigger import Trigger

    Trigger.clean_unused()


def _start_order(ti) -> tuple:
    return (ti.start_date is None, ti.start_date or datetime.min.replace(tzinfo=timezone.utc))
