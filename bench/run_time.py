"""Wall time of the README's run command (all DAGs, two nights), in seconds and in units.

One unit is a cold `python -c "import airflow"` measured in the same run
(bench/units.py). The first run warms .venv and the caches; the next --repeat
runs are timed. Also prints the run's own per-DAG times. Prints figures,
asserts nothing. Goal: at most 10 units with every pipeline family in.

Usage: .venv/bin/python bench/run_time.py [--repeat N] [run command options...]
"""

from __future__ import annotations

import argparse
import subprocess
import time

from units import cold_import_airflow_seconds, in_units

from devkit.paths import REPO


def run_once(extra: list[str]) -> tuple[float, list[str], int]:
    started = time.perf_counter()
    proc = subprocess.run(
        ["./run_pipelines_locally.sh", *extra], cwd=REPO, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    headers = [line for line in proc.stdout.splitlines() if "[logical date" in line]
    return elapsed, headers[: len(headers) // 2], proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args, extra = parser.parse_known_args()
    run_once(extra)  # warm-up
    for n in range(1, args.repeat + 1):
        elapsed, headers, code = run_once(extra)
        unit = cold_import_airflow_seconds()
        print(f"run {n}: {in_units(elapsed, unit)} (unit: cold import airflow {unit:.2f} s)")
        print(f"  exit {code}")
        for line in headers:
            print(f"  {line}")


if __name__ == "__main__":
    main()
