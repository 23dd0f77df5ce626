"""DAG parse cost, as MWAA's schedulers pay it all day (prints figures, asserts nothing).

1. Cold: a fresh interpreter imports Airflow and fills a DagBag from dags/
   (what a new DAG-processor process pays once).
2. Own time per file: with every library already imported, re-executes each
   DAG file's top level and reports the median CPU time (the file compiled once,
   as Python's bytecode cache does between re-parses; CPU time, so that the
   figure holds on a loaded machine and with PYTHONDONTWRITEBYTECODE set).
   This is the part a DAG author controls, paid on every re-parse (MWAA: every
   30 s per file). Goal: <= 20 ms.
3. Each DAG's own time (as in 2.) over that of a generated DAG of as many
   EmptyOperator tasks in a chain: what the file costs beyond its size.
   Goal (issue 16): at most 3x. And over one of the same schedule too, as many
   schedule Assets or the same cron timetable (Airflow itself pays for each, in every
   hash of the DAG): goal (issue 26) at most 2x.

Usage: .venv/bin/python bench/parse_dags.py [--repeat N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from devkit.airflow.dag_files import DAG_FILES, DAGS_DIR

COLD = """
import json, time
t0 = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
t1 = time.perf_counter()
bag = DagBag(dag_folder={dags!r}, include_examples=False)
t2 = time.perf_counter()
print(json.dumps({{"import_airflow": t1 - t0, "fill_dagbag": t2 - t1, "dags": len(bag.dags),
                  "errors": len(bag.import_errors)}}))
"""


def environment(home: str) -> dict[str, str]:
    return {
        **os.environ,
        "AIRFLOW_HOME": home,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
    }


def cold_parse(repeat: int) -> list[dict]:
    runs = []
    with tempfile.TemporaryDirectory() as home:
        for _ in range(repeat):
            out = subprocess.run(
                [sys.executable, "-c", COLD.format(dags=str(DAGS_DIR))],
                env=environment(home),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
    return runs


def loader(dag_file: Path) -> Callable[[int], float]:
    """CPU seconds of running the file's top level, its code compiled once: Airflow's DAG
    processor loads files with SourceFileLoader, which reuses Python's bytecode cache
    between re-parses; and CPU time, so that other processes' load counts less."""
    code = compile(dag_file.read_text(), str(dag_file), "exec")

    def load(n: int) -> float:
        spec = importlib.util.spec_from_file_location(f"bench_{dag_file.stem}_{n}", dag_file)
        module = importlib.util.module_from_spec(spec)
        started = time.process_time()
        exec(code, module.__dict__)
        return time.process_time() - started

    load(-1)  # warm: import every library the file uses
    return load


def own_times(dag_files: list[Path], repeat: int) -> list[float]:
    """Each file's median own time, the files taken in turn in each round: a change in
    the machine's load touches all of them alike, not the one measured in that minute."""
    loads = [loader(dag_file) for dag_file in dag_files]
    samples = [[load(n) for load in loads] for n in range(repeat)]
    return [statistics.median(round_[i] for round_ in samples) for i in range(len(loads))]


EMPTY_DAG = """
import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, chain
{imports}
schedule = {schedule}
with DAG(dag_id="empty_{tasks}", schedule=schedule, start_date=pendulum.datetime(2024, 1, 1)):
    chain(*[EmptyOperator(task_id=f"t{{i}}") for i in range({tasks})])
"""


def shape(dag_file: Path) -> tuple[int, int, tuple[str, str]]:
    """Tasks, the assets its schedule waits for (Airflow hashes them on every dependency
    set: the DAG's hash includes its schedule), and the import and expression of the same
    schedule for the baseline: as many Assets, or the same cron timetable."""
    from airflow.sdk import DAG

    spec = importlib.util.spec_from_file_location(f"count_{dag_file.stem}", dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (dag,) = [v for v in vars(module).values() if isinstance(v, DAG)]
    condition = getattr(dag.timetable, "asset_condition", None)
    assets = len(getattr(condition, "objects", ()))
    timetable = type(dag.timetable)
    if assets or not hasattr(dag.timetable, "expression"):
        schedule = ("", f'[Asset(f"s3://bench/a{{i}}/") for i in range({assets})] or None')
    else:  # a cron schedule: its repr is the constructor call
        schedule = (f"from {timetable.__module__} import {timetable.__name__}", repr(dag.timetable))
    return len(dag.tasks), assets, schedule


def parse_vs_empty(repeat: int) -> None:
    """Each file's own time over an EmptyOperator DAG's of as many tasks (both warm), and
    over one that also has the same schedule (what the file adds beyond Airflow)."""
    print(f"\nown time vs an EmptyOperator DAG of as many tasks (median of {repeat}; goal <= 3x),")
    print("and vs one with the same schedule too, assets or cron (goal <= 2x):")
    with tempfile.TemporaryDirectory() as folder:
        for dag_file in DAG_FILES:
            tasks, assets, (imports, schedule) = shape(dag_file)
            empties = []
            for kind, (imp, sched) in (("bare", ("", "None")), ("same", (imports, schedule))):
                empties.append(Path(folder) / f"empty_{tasks}_{kind}.py")
                empties[-1].write_text(EMPTY_DAG.format(tasks=tasks, imports=imp, schedule=sched))
            seconds, *baselines = own_times([dag_file, *empties], repeat)
            ratio, ratio_same = seconds / baselines[0], seconds / baselines[1]
            verdict = "ok" if ratio <= 3 else "OVER GOAL"
            print(
                f"  {dag_file.name:<30} {tasks:2d} tasks {assets:2d} assets"
                f" {seconds * 1000:5.1f} ms"
                f"  empty {baselines[0] * 1000:4.1f} ms {ratio:5.2f}x {verdict:<9}"
                f"  same schedule {baselines[1] * 1000:4.1f} ms {ratio_same:5.2f}x"
                f" {'ok' if ratio_same <= 2 else 'OVER GOAL'}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    runs = cold_parse(max(1, args.repeat // 2))
    best = min(runs, key=lambda r: r["import_airflow"] + r["fill_dagbag"])
    print(f"DAG files: {len(DAG_FILES)}   DAGs: {best['dags']}   import errors: {best['errors']}")
    print(f"cold, best of {len(runs)}: import Airflow {best['import_airflow'] * 1000:7.0f} ms")
    print(f"                 fill DagBag (all files)  {best['fill_dagbag'] * 1000:7.0f} ms")
    print(f"                 total                    "
          f"{(best['import_airflow'] + best['fill_dagbag']) * 1000:7.0f} ms")  # fmt: skip

    os.environ.update(environment(tempfile.mkdtemp()))
    print(f"\nown top-level time per file (imports warm, median of {args.repeat}; goal <= 20 ms):")
    for dag_file, seconds in zip(DAG_FILES, own_times(DAG_FILES, args.repeat)):
        verdict = "ok" if seconds <= 0.020 else "OVER GOAL"
        print(f"  {dag_file.name:<40} {seconds * 1000:7.2f} ms  {verdict}")

    parse_vs_empty(args.repeat)


if __name__ == "__main__":
    main()
