"""Wall time of the whole gate from a warm environment, in seconds and in units.

One unit is a cold `python -c "import airflow"` measured in the same run
(bench/units.py). Runs ./run_tests_locally.sh once to warm (.venv, the DataHub
venv, caches, metadata DBs), then --repeat more times, and prints each run's
wall time and its step summary. Prints figures, asserts nothing.
Goal: at most 10 units warm with every pipeline family in.

Usage: .venv/bin/python bench/gate_time.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time

from units import cold_import_airflow_seconds, in_units

from devkit.paths import REPO


def run_gate() -> tuple[float, list[str], int]:
    started = time.perf_counter()
    proc = subprocess.run(
        ["./run_tests_locally.sh", "-q"], cwd=REPO, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    lines = proc.stdout.splitlines()
    summary = lines[next(i for i, line in enumerate(lines) if line.startswith("Gate summary")) :]
    return elapsed, summary, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs")
    run_gate()  # warm-up
    for n in range(1, args.repeat + 1):
        elapsed, summary, code = run_gate()
        unit = cold_import_airflow_seconds()
        print(f"\nrun {n}: gate {in_units(elapsed, unit)} (unit: cold import airflow {unit:.2f} s)")
        print(f"exit {code}")
        print("\n".join(summary))


if __name__ == "__main__":
    main()
