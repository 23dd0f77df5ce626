"""Run the nightly pipelines end to end on this machine: the README's run command.

Starts an embedded PostgreSQL (standing in for Redshift) and a moto server on
loopback (S3, Redshift Data API, Glue, Athena, SNS), lands deterministic TICKIT
extracts, then runs each DAG with dag.test() on a SQLite metadata DB, in the
order their Assets would trigger them. Prints a per-DAG, per-task summary and
exits non-zero if any task did not succeed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AIRFLOW_HOME = REPO / ".airflow"
PG_DATA = REPO / ".cache" / "postgres-local"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-day", type=date.fromisoformat, default=date(2008, 1, 1))
    parser.add_argument("--days", type=int, default=2, help="nights to load (default 2)")
    parser.add_argument("--scale", type=float, default=1.0, help="sample data scale factor")
    parser.add_argument(
        "--ui",
        action="store_true",
        help="afterwards keep the emulation up and start `airflow standalone` (Ctrl-C stops)",
    )
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")
    return args


def configure_airflow() -> None:
    """Point Airflow at the repo's folders and a local SQLite DB, before it is imported."""
    from devkit.local_env import airflow_settings

    AIRFLOW_HOME.mkdir(exist_ok=True)
    os.environ.update(airflow_settings(AIRFLOW_HOME))
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    for folder in ("dags", "plugins"):
        sys.path.insert(0, str(REPO / folder))
    # Raised inside the amazon provider 9.25 on every hook, not by our code.
    warnings.filterwarnings("ignore", message="ProvidersManager.hooks is deprecated")


def print_summary(results, effects: dict[str, object]) -> None:
    width = max(len(t.task_id) for r in results for t in r.tasks) + 2
    for result in results:
        interval = (
            f"{result.logical_date - timedelta(days=1):%Y-%m-%d} .. {result.logical_date:%Y-%m-%d}"
        )
        print(f"\n{result.dag_id}  [data interval {interval})  {result.state.upper()}"
              f"  ({result.seconds:.1f}s)")  # fmt: skip
        for task in result.tasks:
            mark = "ok " if task.state == "success" else "!! "
            print(f"  {mark}{task.task_id:<{width}}{task.state:<10}{task.seconds:6.1f}s")
    print("\nEffects:")
    for name, value in effects.items():
        print(f"  {name}: {value}")


def observed_effects(pipeline) -> dict[str, object]:
    """What the run left behind, read back from the emulated services."""
    from lakehouse.tickit import GOLD_SALES_BY_CATEGORY_PREFIX, SCHEMA, TABLES

    aws, names = pipeline.aws, pipeline.names
    counts = {
        table.name: pipeline.query(f"SELECT COUNT(*) FROM {SCHEMA}.{table.name}")[0][0]
        for table in TABLES
    }
    parquet = aws.list_keys(names.lake_bucket, GOLD_SALES_BY_CATEGORY_PREFIX)
    tables = aws.client("glue").get_tables(DatabaseName=names.glue_database)["TableList"]
    return {
        "Redshift (emulated) rows": counts,
        "Redshift Data API statements": len(aws.statements),
        "Parquet objects in the lake": len(parquet),
        "Glue tables": [t["Name"] for t in tables],
    }


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def serve_ui() -> None:
    """Run `airflow standalone` against the same emulation until Ctrl-C."""
    print("\nStarting `airflow standalone` on http://localhost:8080 (Ctrl-C stops everything).")
    print("Its admin password is printed below and kept in .airflow/.")
    # standalone starts its components as `airflow ...` subprocesses: put this venv first.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path}
    process = subprocess.Popen([sys.executable, "-m", "airflow", "standalone"], env=env)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it like Ctrl-C
    try:
        process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_airflow()
    from devkit.emulator import LocalAws
    from devkit.local_env import LocalNames, LocalPipeline, migrate_metadata_db
    from devkit.postgres import EmbeddedPostgres
    from devkit.tickit_data import generate

    started = time.monotonic()
    days = [args.first_day + timedelta(days=n) for n in range(args.days)]
    print(f"Local run: {days[0]} .. {days[-1]}, scale {args.scale}")
    migrate_metadata_db()
    with EmbeddedPostgres(data_dir=PG_DATA) as postgres:
        names = LocalNames()
        postgres.drop_database(names.database)  # every run starts from an empty warehouse
        with LocalAws(postgres, database=names.database) as aws:
            pipeline = LocalPipeline(aws, generate(args.scale), names)
            os.environ.update(pipeline.env)  # kept for `--ui`, which runs in a subprocess
            objects = pipeline.land(*days)
            print(f"Emulated AWS at {aws.endpoint_url}; landed {objects} extract objects")

            results = [pipeline.run("tickit__redshift_load", day) for day in days]
            # As on MWAA, the Asset-scheduled DAG runs only when the loads updated its Assets.
            if all(result.state == "success" for result in results):
                results.append(pipeline.run("tickit__sales_by_category", days[-1]))
            else:
                print("\ntickit__sales_by_category not triggered: its Assets were not updated")

            print_summary(results, observed_effects(pipeline))
            failed = [(r.dag_id, t.task_id, t.state) for r in results for t in r.failed]
            elapsed = time.monotonic() - started
            if failed:
                print(f"\nFAILED after {elapsed:.0f}s: {len(failed)} task(s) did not succeed")
                print("(each task's log, with its error, is printed above the summary):")
                for dag_id, task_id, state in failed:
                    print(f"  {dag_id}.{task_id}: {state}")
            else:
                print(
                    f"\nAll {sum(len(r.tasks) for r in results)} tasks succeeded in {elapsed:.0f}s."
                )
            if args.ui:
                serve_ui()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
