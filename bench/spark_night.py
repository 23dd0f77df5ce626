"""One lake night's Spark jobs in the local session, and where the JVM's CPU goes.

Runs the 11 silver jobs, then the 4 gold jobs, two at a time (as the EMR Serverless
emulation does), by calling each job file's `main([...])` in this process's one local
session (devkit/emulator/emr_serverless/local_spark.py) on the run's sample data at
scale 1, in a temporary folder. No Airflow, no S3 copies: the Spark cost alone.
Round 0 is what a run pays (the JIT compiles the night's code); later rounds are warm.

Prints per round the wall time and the JVM's CPU (user + system, from /proc) per phase,
and the JVM's CPU by thread kind: the driver's Py4J threads (planning, closure
cleaning, job submission), executor tasks, the JIT compiler, the DAG scheduler (task
serialization), GC; the driver's work mostly runs on the Py4J threads of the pool's
Python threads, which end with each phase (counted apart). One CPU unit (a cold
`import airflow`, in CPU) is measured at the end, with the load beside it. Prints
figures, asserts nothing.

Usage: .venv/bin/python bench/spark_night.py [--rounds N]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from run_cpu import TICKS, processes, tree
from units import cold_import_airflow_cpu_seconds

from deploy.sample_data import synthea, tickit
from devkit.emulator.emr_serverless import local_spark
from devkit.paths import SPARK_DIR
from lakehouse.data_lake import SOURCE_TABLES

DAY = date(2008, 1, 5)
# Linux keeps 15 characters of a thread's name.
THREAD_KINDS = {
    "Thread-#": "driver (Py4J)",
    "Executor task l": "executor tasks",
    "C# CompilerThre": "JIT compiler",
    "dag-scheduler-e": "DAG scheduler",
    "VM Thread": "GC (serial)",
    "spark-listener-": "listener bus",
}


def _jvms(table: dict) -> list[int]:
    """The java processes below this one (the session's JVM), in run_cpu's process table."""
    return [
        pid for pid in tree({os.getpid()}, table) if table[pid][2].split(" ", 1)[0].endswith("java")
    ]


def jvm_cpu() -> float:
    table = processes()
    return sum(table[pid][1] for pid in _jvms(table))


def _cpu(stat_text: str) -> float:
    fields = stat_text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def jvm_threads() -> Counter:
    """CPU seconds so far of the JVM's live threads, by name with numbers dropped."""
    by_kind: Counter = Counter()
    for pid in _jvms(processes()):
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                text = (task / "stat").read_text()
            except OSError:
                continue
            name = re.sub(r"[0-9]+", "#", text[text.index("(") + 1 : text.rindex(")")])
            by_kind[THREAD_KINDS.get(name, name)] += _cpu(text)
    return by_kind


def land_bronze(root: Path) -> None:
    """The night's bronze folders: Synthea CSV and TICKIT extracts, as the run lands them."""
    for table, data in synthea.generate(scale=synthea.DEFAULT_SCALE).items():
        folder = root / f"bronze/synthea/{table}/load_date={DAY}"
        folder.mkdir(parents=True)
        (folder / f"{table}.csv").write_bytes(data)
    for key, body in tickit.extract_objects(tickit.generate(1.0), DAY).items():
        _, table, _, name = key.split("/")
        folder = root / f"bronze/tickit/{table}/load_date={DAY}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(body)


def night_jobs(root: Path) -> dict[str, list[tuple[str, list[str]]]]:
    """(job file, arguments) of each phase: the DAGs' arguments, on local folders."""
    silver = [(table.source, table.name) for table in SOURCE_TABLES]
    synthea_silver, gold = root / "silver/synthea", root / "gold"
    return {
        "silver": [
            (
                f"silver_{source}",
                ["--table", table, "--input", f"{root}/bronze/{source}/{table}/load_date={DAY}/"]
                + ["--output", f"{root}/silver/{source}/{table}", "--load-date", str(DAY)],
            )
            for source, table in silver
        ],
        "gold": [
            (
                "gold_encounters_for_symptom",
                ["--input", f"{synthea_silver}/encounters", "--output", f"{gold}/encounters"],
            ),
            (
                "gold_observations",
                ["--input", f"{synthea_silver}/observations", "--output", f"{gold}/observations"],
            ),
            (
                "gold_sinusitis_study",
                ["--input", f"{synthea_silver}/conditions", "--patients"]
                + [f"{synthea_silver}/patients", "--output", f"{gold}/sinusitis_study"],
            ),
            (
                "gold_tickit_sales",
                ["--silver", f"{root}/silver/tickit", "--output-by-category"]
                + [f"{gold}/sales_by_category", "--output-by-date", f"{gold}/sales_by_date"],
            ),
        ],
    }


def run_job(job: str, argv: list[str]) -> None:
    spec = importlib.util.spec_from_file_location(f"bench_{job}", SPARK_DIR / "jobs" / f"{job}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(argv)


def one_round(number: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="spark-night-"))
    try:
        land_bronze(root)
        threads_before, cpu_before, line = jvm_threads(), jvm_cpu(), []
        for phase, jobs in night_jobs(root).items():
            started, cpu = time.perf_counter(), jvm_cpu()
            with ThreadPoolExecutor(2) as pool:  # two job runs at a time, as job_runs.py
                list(pool.map(lambda job: run_job(*job), jobs))
            line.append(f"{phase} {time.perf_counter() - started:5.2f} s wall")
            line[-1] += f", JVM {jvm_cpu() - cpu:5.2f} CPU s"
        print(f"round {number}: " + "; ".join(line))
        used = jvm_threads() - threads_before
        used["threads that ended (Py4J's)"] = jvm_cpu() - cpu_before - sum(used.values())
        print("  JVM CPU s by thread:", _top(used))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _top(by_kind: Counter) -> str:
    return ", ".join(f"{kind} {cpu:.2f}" for kind, cpu in by_kind.most_common(8) if cpu >= 0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    started = time.perf_counter()
    local_spark.run_warm_up_job()
    print(f"session and warm-up job: {time.perf_counter() - started:.2f} s wall, ", end="")
    print(f"JVM {jvm_cpu():.2f} CPU s")
    for number in range(options.rounds):
        one_round(number)
    unit = cold_import_airflow_cpu_seconds()
    print(f"CPU unit {unit:.2f} s (load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
