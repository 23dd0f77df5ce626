"""One DagRun on this machine with dag.test(), and the DAG file it comes from.

`run_dag` is the one code path for the run command and the integration tests.
Each task's full log (Airflow's, the libraries', anything printed) goes to its
own file under ``$AIRFLOW_HOME/logs/``; the terminal only gets what the caller
prints, plus an optional live progress callback.
"""

from __future__ import annotations

import gc
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from devkit import patches
from devkit.airflow.settings import logs_dir
from devkit.output import output_to
from devkit.paths import DAGS_DIR

BUNDLE = "dags-folder"  # the DAGs folder's bundle: Airflow's default name

Progress = Callable[[int, int, str], None]  # (tasks done, tasks in the run, current task)


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


def stored_dags(folder: Path, path: Path | None = None) -> dict:
    """The DAGs of a folder outside dags/ (or of one file in it), parsed and stored as the
    DAG processor would: dag.test() looks a DAG up in the configured bundle.

    The bundle's row comes first: a DAG refers to it, and a metadata DB on which no
    DagRun ran yet has none (the DAG processor and dag.test() write it the same way).
    """
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = BundleDagBag(dag_folder=str(path or folder), bundle_path=folder, bundle_name=BUNDLE)
    if bag.import_errors:
        raise RuntimeError(f"DAGs of {path or folder} do not import: {bag.import_errors}")
    sync_bag_to_db(bag, BUNDLE, None)
    return bag.dags


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
    dag = _without_retries(_slice(dag or load_dag(dag_id), only))
    # What exists before a DagRun (modules, parsed DAGs, caches, the in-process API, the
    # emulation's state) mostly lives until the process ends, yet every full collection
    # during the run re-traversed it (7.5 s of the run command). Frozen, the collector
    # never traverses it again; refcounting still frees what is not in a cycle.
    gc.freeze()
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
    tasks = _task_results(dag_run, logs, run_log)
    return DagRunResult(
        dag_id, logical_date, _state(dag_run.state), tasks, time.monotonic() - started, run_log
    )


def _slice(dag, only: str | None):
    """The tasks matching the regex `only` and their upstreams (all tasks without it)."""
    if not only:
        return dag
    wanted = [task_id for task_id in dag.task_ids if re.fullmatch(only, task_id)]
    if not wanted:
        raise ValueError(f"no task of {dag.dag_id} matches {only!r}")
    return dag.partial_subset(task_ids=wanted, include_upstream=True)


def _without_retries(dag):
    for task in dag.tasks:
        task.retries = 0
    return dag


def _task_results(dag_run, logs: dict[str, Path], run_log: Path) -> list[TaskResult]:
    """Each task's state and log, in start order; tasks that never ran have no log."""
    ran = {"success", "failed", "up_for_retry", "up_for_reschedule"}
    return [
        TaskResult(
            ti.task_id,
            _state(ti.state),
            ti.duration or 0.0,
            logs.get(ti.task_id, run_log if _state(ti.state) in ran else None),
        )
        for ti in sorted(dag_run.get_task_instances(), key=_start_order)
    ]


def _state(state) -> str:
    return str(getattr(state, "value", state))


def _drop_finished_triggers() -> None:
    """dag.test() runs triggers inline but leaves their rows behind; a later
    `airflow standalone` triggerer would pick those orphans up and crash."""
    from airflow.models.trigger import Trigger

    Trigger.clean_unused()


def _start_order(ti) -> tuple:
    return (ti.start_date is None, ti.start_date or datetime.min.replace(tzinfo=timezone.utc))
