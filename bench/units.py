"""The unit every time is reported in: one cold `python -c "import airflow"` on this machine.

Machines here differ 2-3x in speed; a ratio to a baseline measured in the same
run survives that. Median of three cold starts (a new interpreter each).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time


def cold_import_airflow_seconds(repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import airflow"], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def children_cpu() -> float:
    """CPU seconds (user + system) of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_import_airflow_cpu_seconds(repeat: int = 3) -> float:
    """The unit in CPU time: a shared machine's load stretches wall time, far less CPU."""
    times = []
    for _ in range(repeat):
        before = children_cpu()
        subprocess.run([sys.executable, "-c", "import airflow"], check=True, capture_output=True)
        times.append(children_cpu() - before)
    return statistics.median(times)


def cpu_units_of(run):
    """`run()`'s result, the CPU its children used (waited for), and that in CPU units."""
    before = children_cpu()
    result = run()
    used = children_cpu() - before
    unit = cold_import_airflow_cpu_seconds()
    return result, f"CPU {used:6.1f} s = {used / unit:5.1f} CPU units (CPU unit {unit:.2f} s)"


def unit_around(run):
    """`run()`'s result with the unit measured before and after it, and their mean.

    On a shared machine the load can change within a run; the two ends show by how much.
    """
    before = cold_import_airflow_seconds()
    result = run()
    after = cold_import_airflow_seconds()
    return result, (before + after) / 2, f"unit {before:.2f} s before, {after:.2f} s after"


def in_units(seconds: float, unit: float) -> str:
    return f"{seconds:6.1f} s = {seconds / unit:5.1f} units"
