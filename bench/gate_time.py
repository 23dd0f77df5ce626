"""Wall time of the whole gate from a warm environment (prints figures, asserts nothing).

Runs ./run_tests_locally.sh once to warm (.venv, caches, metadata DB), then
--repeat more times, and prints each run's wall time and its step summary.
Goal: <= 60 s on a 2-core machine.

Usage: .venv/bin/python bench/gate_time.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_gate() -> tuple[float, list[str], int]:
    started = time.perf_counter()
    proc = subprocess.run(
        ["./run_tests_locally.sh", "-q"], cwd=REPO, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    lines = proc.stdout.splitlines()
    summary = lines[next(i for i, l in enumerate(lines) if l.startswith("Gate summary")) :]
    return elapsed, summary, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs")
    run_gate()  # warm-up
    for n in range(1, args.repeat + 1):
        elapsed, summary, code = run_gate()
        print(f"\nrun {n}: {elapsed:.1f} s wall, exit {code}")
        print("\n".join(summary))


if __name__ == "__main__":
    main()
