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

from devkit import dag_test_speedups
from devkit.paths import DAGS_DIR, PLUGINS_DIR

Progress = Callable[[int, int, str], None]  # (tasks done, tasks in the run, current task)
# The DataHub plugin's own kill switch, read from the environment on every hook.
LINEAGE_KILL_SWITCH = "AIRFLOW_VAR_DATAHUB_AIRFLOW_PLUGIN_DISABLE_LISTENER"


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
        # On unless AIRFLOW__DATAHUB__ENABLED=False is exported; with the local patches
        # of devkit/lineage.py (applied by the lineage domain) it costs ~0.2 s a task.
        "AIRFLOW__DATAHUB__ENABLED": os.environ.get("AIRFLOW__DATAHUB__ENABLED", "True"),
        # ... but only where the lineage domain runs (its file connection, its patches;
        # the datahub domain needs it): it turns the plugin's own kill switch off.
        LINEAGE_KILL_SWITCH: "true",
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
    dag_test_speedups.apply()
    dag = dag or load_dag(dag_id)
    if only:
        wanted = [task_id for task_id in dag.task_ids if re.fullmatch(only, task_id)]
        if not wanted:
            raise ValueError(f"no task of {dag_id} matches {only!r}")
        dag = dag.partial_subset(task_ids=wanted, include_upstream=True)
    for task in dag.tasks:
        task.retries = 0
    run_dir = logs_dir() / f"dag_id={dag_id}" / f"logical_date={logical_date:%Y-%m-%dT%H%M}"
    logs: dict[str, Path] = {}
    (run_dir / "dag_run.log").unlink(missing_ok=True)
    started = time.monotonic()
    with _task_logs_in_files(run_dir, logs, len(dag.tasks), progress):
        with output_to(run_dir / "dag_run.log"):
            dag_run = dag.test(logical_date=logical_date)
            _drop_finished_triggers()
    tasks = [
        TaskResult(ti.task_id, _state(ti.state), ti.duration or 0.0, logs.get(ti.task_id))
        for ti in sorted(dag_run.get_task_instances(), key=_start_order)
    ]
    return DagRunResult(
        dag_id,
        logical_date,
        _state(dag_run.state),
        tasks,
        time.monotonic() - started,
        run_dir / "dag_run.log",
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
def _task_logs_in_files(
    run_dir: Path, logs: dict[str, Path], total: int, progress: Progress | None
) -> Iterator[None]:
    """Wrap dag.test()'s per-task runner: one log file per task, progress after each,
    and deferred tasks resumed the way a triggerer would (see `_DeferralsTogether`)."""
    from airflow.sdk.definitions import dag as dag_module

    original = dag_module._run_task
    deferrals = _DeferralsTogether(original)
    done: set[str] = set()

    def run_task(*, ti, task, run_triggerer=False):
        path = run_dir / f"task_id={ti.task_id}" / f"attempt={ti.try_number}.log"
        if not deferrals.resuming(ti):
            path.unlink(missing_ok=True)  # a new local run of the same night starts a new log
        logs[ti.task_id] = path
        if progress:
            progress(len(done), total, ti.task_id)
        try:
            with output_to(path), _log_records_to(path):
                return deferrals.run(ti, task, path)
        finally:
            if ti.state != "deferred":
                done.add(ti.task_id)
            if progress:
                progress(len(done), total, ti.task_id)
            deferrals.resume_all_if_last(ti)

    dag_module._run_task = run_task
    try:
        yield
    finally:
        dag_module._run_task = original


class _DeferralsTogether:
    """Defer tasks the way the scheduler and triggerer do, not one at a time.

    dag.test() runs a deferred task's trigger inline, at once: eleven Spark jobs
    that the scheduler would start together run one after another, each waited
    for before the next is submitted. Here a task that defers is left deferred
    while dag.test() starts the other tasks that are ready; after the last of
    them, the triggers run (the jobs they wait for already running on the
    emulation) and their tasks are marked scheduled with the trigger's event, as
    a triggerer does, for dag.test()'s next loop to resume. Private API (the
    body of `_run_task`'s deferral branch): if it moves, the patch fails loudly.
    """

    def __init__(self, run_task):
        self._run_task = run_task
        self._waiting: list[tuple] = []  # (ti, message, log path)
        self._resumed: set[str] = set()

    def resuming(self, ti) -> bool:
        return ti.id in self._resumed

    def run(self, ti, task, path: Path):
        from airflow.sdk.execution_time.comms import DeferTask

        result = self._run_task(ti=ti, task=task, run_triggerer=False)
        if result is not None and ti.state == "deferred" and isinstance(result.msg, DeferTask):
            self._waiting.append((ti, result.msg, path))
        return result

    def resume_all_if_last(self, ti) -> None:
        """After the last task dag.test() started in this loop, run the triggers."""
        if not self._waiting or _others_scheduled(ti):
            return
        waiting, self._waiting = self._waiting, []
        for deferred, message, path in waiting:
            with output_to(path), _log_records_to(path):
                self._resume(deferred, message)

    def _resume(self, ti, message) -> None:
        from uuid import UUID

        from airflow.sdk._shared.module_loading import import_string
        from airflow.sdk.api.datamodels._generated import TaskInstance as TaskInstanceSDK
        from airflow.sdk.definitions.dag import _run_inline_trigger
        from airflow.sdk.serde import deserialize, serialize
        from airflow.utils.session import create_session
        from airflow.utils.state import TaskInstanceState

        self._resumed.add(ti.id)
        try:
            ti.set_state(TaskInstanceState.QUEUED)  # the API resumes only queued tasks
            trigger = import_string(message.classpath)(**deserialize(message.trigger_kwargs))
            sdk_ti = TaskInstanceSDK(
                id=UUID(str(ti.id)),
                task_id=ti.task_id,
                dag_id=ti.dag_id,
                run_id=ti.run_id,
                try_number=ti.try_number,
                map_index=ti.map_index,
                dag_version_id=UUID(str(ti.dag_version_id)),
            )
            event = _run_inline_trigger(trigger, sdk_ti)
        except Exception:
            logging.getLogger(__name__).exception("trigger of %s failed", ti.task_id)
            ti.set_state(TaskInstanceState.FAILED)
            return
        ti.next_method = message.next_method
        ti.next_kwargs = {"event": serialize(event.payload)} if event else message.next_kwargs
        with create_session() as session:
            ti.state = TaskInstanceState.SCHEDULED
            session.add(ti)


def _others_scheduled(ti) -> bool:
    """Whether dag.test() still has tasks of this run to start in its current loop."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    with create_session() as session:
        return bool(
            session.query(TaskInstance.id)
            .filter(
                TaskInstance.dag_id == ti.dag_id,
                TaskInstance.run_id == ti.run_id,
                TaskInstance.state == TaskInstanceState.SCHEDULED,
                TaskInstance.id != ti.id,
            )
            .first()
        )


@contextlib.contextmanager
def _log_records_to(path: Path) -> Iterator[None]:
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
