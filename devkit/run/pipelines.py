"""Run the DAGs in dags/ end to end on this machine: the README's run command.

Starts an embedded PostgreSQL (standing in for Redshift) and a moto server on
loopback, lets every domain in devkit/domains/ provision its resources and
land its sample data, then runs each DAG with dag.test() on a SQLite metadata
DB: time-scheduled DAGs once per night, then each Asset-scheduled DAG once all
of its Assets were updated. Prints one live line per DAG run, then a per-task
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
from devkit.airflow.output import output_to
from devkit.airflow.settings import airflow_settings, logs_dir
from devkit.paths import AIRFLOW_HOME, LOCAL_PG_DATA
from devkit.run.console import Console, format_value, run_header, task_table

UI_PORT = 8080


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    # DagRuns, each of which starts by freezing what exists (`run_in_order`).
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
    from devkit.airflow.dag_catalog import DagDiscoveryError, discover, select

    try:
        catalog = discover()
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
    from devkit.airflow.dag_catalog import missing_settings
    from devkit.airflow.settings import migrate_metadata_db
    from devkit.domains import for_dags
    from devkit.emulator import LocalAws
    from devkit.emulator.postgres import EmbeddedPostgres
    from devkit.run.local_env import LocalNames, LocalPipeline

    started = time.monotonic()
    days = [args.first_day + timedelta(days=n) for n in range(args.days)]
    console.say(f"Local run: nights {days[0]} .. {days[-1]}, scale {args.scale}")
    migrate_metadata_db()
    with EmbeddedPostgres(data_dir=LOCAL_PG_DATA) as postgres:
        postgres.drop_all_databases()  # every run starts from an empty warehouse
        with LocalAws(postgres) as aws:
            selected = selection.timed + selection.on_assets
            pipeline = LocalPipeline(aws, LocalNames(), args.scale, for_dags(selected))
            missing = missing_settings(
                catalog,
                selected,
                set(pipeline.variables),
                set(pipeline.connections),
            )
            if missing:
                console.say(
                    "error: no local domain (devkit/domains/) provides what these DAGs use:"
                )
                for dag_id, lacking in missing.items():
                    console.say(f"  {dag_id}: {', '.join(lacking)}")
                return 2
            os.environ.update(pipeline.env)  # kept for `--ui`, which runs in a subprocess
            objects = pipeline.land(*days)
            console.say(f"Emulated AWS at {aws.endpoint_url}; landed {objects} source objects")
            results = run_in_order(args, console, pipeline, catalog, selection, days)
            print_summary(console, results, pipeline.effects())
            iam = pipeline.check_iam(everything=True)
            print_iam(console, iam)
            failed = [(r.dag_id, t) for r in results for t in r.failed]
            elapsed = time.monotonic() - started
            if not iam.ok:
                console.say(
                    f"\nFAILED: {len(iam.problems())} AWS access(es) the roles do not allow:"
                )
                for line in iam.problems():
                    console.say(f"  {line}")
            if failed:
                console.say(
                    f"\nFAILED after {elapsed:.0f}s: {len(failed)} task(s) did not succeed:"
                )
                for dag_id, task in failed:
                    console.say(f"  {dag_id}.{task.task_id}: {task.state}")
            elif iam.ok:
                tasks = sum(len(r.tasks) for r in results)
                console.say(
                    f"\nAll {tasks} tasks of {len(results)} DAG runs succeeded in {elapsed:.0f}s."
                )
            console.say(f"Task logs: {logs_dir()}")
            if args.ui:
                serve_ui(console)
    return 1 if failed or not iam.ok else 0


def run_in_order(args, console, pipeline, catalog, selection, days) -> list[DagRunResult]:
    """Time-scheduled DAGs per night, then Asset-scheduled DAGs as their Assets update."""
    from devkit.airflow.dag_catalog import satisfied
    from devkit.airflow.dagrun import load_dag

    results: list[DagRunResult] = []
    updated: set[str] = set()
    gc.enable()

    def run_one(dag_id: str, day: date) -> None:
        dag = load_dag(dag_id)
        # What exists between DagRuns (modules, parsed DAGs, caches, the in-process API)
        # lives until the command ends, yet every full collection re-traversed it: 7.5 s
        # of a full run. Frozen, it is never traversed (nor freed: the process ends).
        gc.freeze()
        result = pipeline.run(dag_id, day, progress=console.progress(f"{dag_id} {day}"))
        console.say(run_header(result))
        updated.update(result.updated_assets(dag))
        results.append(result)

    for day in days:
        for dag_id in selection.timed:
            run_one(dag_id, day)
    waiting = list(selection.on_assets)
    manual = set(args.dag or ()) - set(selection.timed) if not args.with_upstream else set()
    progressed = True
    while waiting and progressed:
        progressed = False
        for dag_id in list(waiting):
            if dag_id in manual or satisfied(catalog[dag_id].waits_for, updated):
                if dag_id in manual:
                    console.say(f"{dag_id}: triggered by hand (--dag), not by its Assets")
                waiting.remove(dag_id)
                run_one(dag_id, days[-1])
                progressed = True
    for dag_id in waiting:
        lacking = [a for a in catalog[dag_id].assets_awaited if a not in updated]
        console.say(
            f"{dag_id}: not triggered; Assets not updated in this run: {', '.join(lacking)}"
        )
    return results


def print_summary(console: Console, results: list[DagRunResult], effects: dict) -> None:
    for result in results:
        console.say("\n" + run_header(result))
        for line in task_table(result):
            console.say(line)
    console.say("\nEffects:")
    for name, value in effects.items():
        inline = format_value(value)
        if len(inline) <= 100 or not isinstance(value, (dict, list, tuple)):
            console.say(f"  {name}: {inline}")
            continue
        console.say(f"  {name}:")  # long values: one item a line
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            label = "" if isinstance(value, (list, tuple)) else f"{key}: "
            console.say(f"      {label}{format_value(item)}")


def print_iam(console: Console, report) -> None:
    """Per role: accesses by action, denied ones, permissions granted but never used."""
    console.say(f"\nAWS accesses checked against the roles' policies ({report_source()}):")
    for role, row in report.summary().items():
        console.say(f"  {role}: {row['accesses']} accesses, {row['denied']} denied")
        if row["used"]:
            console.say(f"      used: {format_value(row['used'])}")
        for grant in row["granted, never used"]:
            console.say(f"      granted, never used: {grant}")
    if report.unmapped:
        console.say(f"  calls missing from devkit/iam/actions.py: {len(report.unmapped)}")


def report_source() -> str:
    from devkit.iam.policies import POLICY_SOURCE

    return POLICY_SOURCE


def serve_ui(console: Console) -> None:
    from devkit.run.ui import airflow_standalone_command, serve

    command, env = airflow_standalone_command()
    log = logs_dir() / "standalone.log"
    console.say(f"\nStarting `airflow standalone` (log: {log}); the admin password is in")
    console.say(f"{AIRFLOW_HOME}/simple_auth_manager_passwords.json.generated once it is up.")
    serve(command, UI_PORT, log, console.say, env)


if __name__ == "__main__":
    sys.exit(main())
