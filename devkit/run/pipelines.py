"""Run the DAGs in dags/ end to end on this machine: the README's run command.

Starts an embedded PostgreSQL (standing in for Redshift) and a moto server on
loopback, runs `deploy up --sample-night` there from the empty account (every
step: stack, deploy, settings, bootstrap, sample night, unpause, first runs,
readiness; devkit/run/local_up.py), lets every domain in devkit/domains/ add
what it needs and land the later nights, then runs each DAG with dag.test() on
a SQLite metadata DB: the first runs deploy up queued on the emulated MWAA, the
time-scheduled DAGs once per later night, then each Asset-scheduled DAG once
all of its Assets were updated. Prints one live line per DAG run, then a per-task
table and what the run left behind; full logs go to .airflow/logs/. Exits
non-zero if any task did not succeed.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import gc
import os
import sys
import time
import traceback
from datetime import date, timedelta
from typing import Iterator

from devkit.airflow.dagrun import DagRunResult
from devkit.airflow.settings import airflow_settings, logs_dir
from devkit.output import output_to
from devkit.paths import AIRFLOW_HOME, DAGS_DIR, LOCAL_PG_DATA, REPO
from devkit.run.console import Console, run_header
from devkit.run.summary import summarise

UI_PORT = 8080


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="run_pipelines_locally.sh", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--dag", action="append", metavar="ID", help="run only this DAG (repeat)")
    parser.add_argument(
        "--with-upstream", action="store_true", help="with --dag: also the DAGs feeding its Assets"
    )
    parser.add_argument("--list", action="store_true", help="list the DAGs, schedules and Assets")
    parser.add_argument("--first-day", type=date.fromisoformat, default=date(2008, 1, 1))
    parser.add_argument("--days", type=int, default=2, help="nights to run (default 2)")
    parser.add_argument("--scale", type=float, default=1.0, help="sample data scale factor")
    parser.add_argument(
        "--ui",
        action="store_true",
        help="afterwards keep the emulation up and start `airflow standalone` (Ctrl-C stops)",
    )
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")
    if args.with_upstream and not args.dag:
        parser.error("--with-upstream goes with --dag")
    return args


def main(argv: list[str] | None = None) -> int:
    # Start-up (imports, DAG parsing, provisioning) allocates what lives for the whole
    # run: collecting garbage there costs ~1.5 s and finds little. On again for the
    # DagRuns, each of which starts by freezing what exists (devkit/airflow/dagrun.py).
    gc.disable()
    args = parse_args(argv)
    console = Console()
    AIRFLOW_HOME.mkdir(exist_ok=True)
    os.environ.update(airflow_settings(AIRFLOW_HOME))

    run_log = logs_dir() / "run_pipelines.log"
    try:
        with one_run_at_a_time(), output_to(run_log):  # library output goes to the log
            return run(args, console)
    except AlreadyRunning as err:
        console.say(f"error: {err}")
        return 2
    except Exception:
        console.say(traceback.format_exc())
        console.say(f"the run command failed; its log: {run_log}")
        return 1


class AlreadyRunning(RuntimeError):
    """Another run command uses the same warehouse and Airflow home."""


@contextlib.contextmanager
def one_run_at_a_time() -> Iterator[None]:
    """Two runs would drop each other's warehouse databases: refuse the second one."""
    with open(AIRFLOW_HOME / "run.lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            raise AlreadyRunning(
                f"another run command (pid {lock.read().strip() or '?'}) is using "
                f"{AIRFLOW_HOME}; wait for it or stop it first"
            ) from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield


def run(args: argparse.Namespace, console: Console) -> int:
    from deploy.dags.catalog import DagDiscoveryError, discover, select

    try:
        catalog = discover(DAGS_DIR)
        selection = select(catalog, args.dag, args.with_upstream)
    except (DagDiscoveryError, KeyError) as err:
        console.say(f"error: {err.args[0]}")
        return 2
    if args.list:
        list_dags(console, catalog)
        return 0
    return run_selected(args, console, catalog, selection)


def list_dags(console: Console, catalog) -> None:
    width = max(len(d) for d in catalog) + 2
    console.say(f"{'DAG':<{width}}{'SCHEDULE':<44}ASSETS")
    for dag_id, info in catalog.items():
        awaits = f"waits for {', '.join(info.assets_awaited)}" if info.asset_scheduled else ""
        updates = f"updates {', '.join(sorted(info.updates))}" if info.updates else ""
        console.say(
            f"{dag_id:<{width}}{info.schedule:<44}{'; '.join(filter(None, [awaits, updates]))}"
        )


def run_selected(args, console: Console, catalog, selection) -> int:
    """Start the warehouse and the emulation, run the nights there; then the UI if asked."""
    from devkit.airflow.settings import migrate_metadata_db
    from devkit.emulator import LocalAws
    from devkit.emulator.redshift.postgres import EmbeddedPostgres

    started = time.monotonic()
    days = [args.first_day + timedelta(days=n) for n in range(args.days)]
    console.say(f"Local run: nights {days[0]} .. {days[-1]}, scale {args.scale}")
    migrate_metadata_db()
    with EmbeddedPostgres(data_dir=LOCAL_PG_DATA) as postgres:
        postgres.drop_all_databases()  # every run starts from an empty warehouse
        with LocalAws(postgres) as aws:
            night = nights(aws, args, console, catalog, selection)
            if night is None:
                return 2
            pipeline, results = night
            os.environ.update(pipeline.env)  # kept for `--ui`, which runs in a subprocess
            status = summarise(console, results, pipeline, time.monotonic() - started)
            selected = selection.timed + selection.on_assets
            record_accesses(console, pipeline, selected, complete=selected == sorted(catalog))
            if args.ui:
                serve_ui(console)
    return status


def nights(aws, args, console: Console, catalog, selection, stack: str | None = None):
    """`deploy up --sample-night` from the empty emulated account (its first runs are the
    first night), then the other nights: (pipeline, DagRun results), or None when the
    domains lack a setting the DAGs read (named). `stack`: a test's, instead of local's."""
    days = [args.first_day + timedelta(days=n) for n in range(args.days)]
    selected = selection.timed + selection.on_assets
    pipeline = provision(aws, args.scale, selected, days[0], catalog, stack)
    if not settings_provided(console, catalog, selected, pipeline):
        return None
    land(console, pipeline, days[1:])
    first = first_runs(console, pipeline, selection)
    results = run_in_order(
        console, pipeline, catalog, selection, days, args.dag, args.with_upstream, first
    )
    return pipeline, results


def record_accesses(console: Console, pipeline, dag_ids: list[str], complete: bool) -> None:
    """The run's access record, for `python -m deploy review` (devkit/iam/access_record.py)."""
    from devkit.iam.access_record import write
    from devkit.run.local_stack import stack_names

    names = stack_names(pipeline.aws, pipeline.names.project)
    path = write(pipeline.accesses, names, dag_ids, complete)
    console.say(f"Access record (for `make review`): {path.relative_to(REPO)}")


def provision(aws, scale: float, dag_ids: list[str], night: date, catalog, stack=None):
    """The `local` stack by `deploy up --sample-night` (that night landed, its first runs
    queued) and a LocalPipeline on it, with these DAGs' domains."""
    from devkit.domains import for_dags
    from devkit.run.local_up import pipeline_on_stack

    return pipeline_on_stack(aws, stack, scale, for_dags(dag_ids), night=night, catalog=catalog)


def first_runs(console: Console, pipeline, selection) -> list[tuple]:
    """The runs deploy up queued on the emulated MWAA (its first runs): those of the
    selected DAGs, in the order they were triggered; the others are named, not run."""
    from devkit.run.local_up import triggered

    queued = triggered(dict(pipeline.names.outputs)["MwaaEnvironmentName"])
    for dag_id, day, _ in queued:
        if dag_id not in selection.timed:
            console.say(f"{dag_id}: triggered by deploy up for {day}, not selected (--dag)")
    for dag_id in sorted(set(selection.timed) - {run[0] for run in queued}):
        console.say(f"{dag_id}: not among deploy up's first runs: no run on the first night")
    return [run for run in queued if run[0] in selection.timed]


def settings_provided(console: Console, catalog, dag_ids: list[str], pipeline) -> bool:
    """Whether the domains give every Variable and Connection the DAGs read; names the gaps."""
    from deploy.dags.catalog import missing_settings

    variables, connections = set(pipeline.variables), set(pipeline.connections)
    missing = missing_settings(catalog, dag_ids, variables, connections)
    if missing:
        console.say("error: no local domain (devkit/domains/) provides what these DAGs use:")
        for dag_id, lacking in missing.items():
            console.say(f"  {dag_id}: {', '.join(lacking)}")
    return not missing


def land(console: Console, pipeline, days: list[date]) -> None:
    """The nights after deploy up's sample night into the landing bucket."""
    objects = pipeline.land(*days) if days else 0
    console.say(
        f"Emulated AWS at {pipeline.aws.endpoint_url}; deploy up landed the first night, "
        f"the domains {objects} source objects of the nights after"
    )


def run_in_order(
    console: Console,
    pipeline,
    catalog,
    selection,
    days: list[date],
    asked: list[str] | None,
    with_upstream: bool,
    first: list[tuple] | None = None,
) -> list[DagRunResult]:
    """The first night's runs (`first`: deploy up's, queued on the emulated MWAA; without
    them the time-scheduled DAGs), the time-scheduled DAGs per later night, then the
    Asset-scheduled DAGs as their Assets update.

    `asked` are the --dag ids; without --with-upstream the Asset-scheduled ones among
    them run once the timed ones did, as if triggered by hand.
    """
    runs = DagRuns(console, pipeline)
    gc.enable()
    for dag_id, day, queued in first if first is not None else ():
        queued["state"] = runs.run(dag_id, day).state.lower()  # as MWAA's API then lists it
    for day in days[1:] if first is not None else days:
        for dag_id in selection.timed:
            runs.run(dag_id, day)
    by_hand = set() if with_upstream else set(asked or ()) - set(selection.timed)
    waiting = runs.run_as_assets_update(catalog, selection.on_assets, by_hand, days[-1])
    for dag_id in waiting:
        lacking = [a for a in catalog[dag_id].assets_awaited if a not in runs.updated]
        console.say(
            f"{dag_id}: not triggered; Assets not updated in this run: {', '.join(lacking)}"
        )
    return runs.results


class DagRuns:
    """The DagRuns of one command, in order, and the Assets they updated."""

    def __init__(self, console: Console, pipeline):
        self.console, self.pipeline = console, pipeline
        self.results: list[DagRunResult] = []
        self.updated: set[str] = set()

    def run(self, dag_id: str, day: date) -> DagRunResult:
        from devkit.airflow.dagrun import load_dag

        dag = load_dag(dag_id)
        progress = self.console.progress(f"{dag_id} {day}")
        result = self.pipeline.run(dag_id, day, progress=progress)
        self.console.say(run_header(result))
        self.updated.update(result.updated_assets(dag))
        self.results.append(result)
        return result

    def run_as_assets_update(self, catalog, on_assets, by_hand: set[str], day: date) -> list:
        """Run each Asset-scheduled DAG once its Assets were updated (or it was asked for
        by hand), until none is left or none can start; returns those that never ran."""
        from deploy.dags.catalog import satisfied

        waiting = list(on_assets)
        progressed = True
        while waiting and progressed:
            progressed = False
            for dag_id in list(waiting):
                if dag_id in by_hand or satisfied(catalog[dag_id].waits_for, self.updated):
                    if dag_id in by_hand:
                        self.console.say(f"{dag_id}: triggered by hand (--dag), not by its Assets")
                    waiting.remove(dag_id)
                    self.run(dag_id, day)
                    progressed = True
        return waiting


def serve_ui(console: Console) -> None:
    from devkit.run.ui import airflow_standalone_command, serve

    command, env = airflow_standalone_command()
    log = logs_dir() / "standalone.log"
    console.say(f"\nStarting `airflow standalone` (log: {log}); the admin password is in")
    console.say(f"{AIRFLOW_HOME}/simple_auth_manager_passwords.json.generated once it is up.")
    serve(command, UI_PORT, log, console.say, env)


if __name__ == "__main__":
    sys.exit(main())
