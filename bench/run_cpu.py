"""CPU of the README's run command by process kind, in CPU seconds and in CPU units.

bench/run_time.py gives the run's wall clock; under load, and to see where a cut
would land, CPU is the figure to compare. /usr/bin/time and RUSAGE_CHILDREN (units.py's
`cpu_units_of`) miss part of it: the DataHub zygotes' runners are reaped by a zygote
that is then killed, and PostgreSQL is a daemon of pg_ctl, nobody's child. This runs
the command, reads every process of its tree (and PostgreSQL's, found by the run's
data folder) from /proc every 0.1 s, and adds up each process's CPU by kind. A process
that lives under 0.1 s may be missed. The CPU unit (a cold `import airflow`, in CPU)
is measured after the run; the load is printed beside it. Prints figures, asserts nothing.

Usage: .venv/bin/python bench/run_cpu.py [--repeat N] [run command options...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections import Counter

from units import cold_import_airflow_cpu_seconds

from devkit.paths import LOCAL_PG_DATA, REPO

TICKS = os.sysconf("SC_CLK_TCK")
# (kind, what its command line contains), first match wins; else "other".
KINDS = (
    ("Spark JVM", "java"),
    ("DataHub zygotes and their runners", "devkit/datahub/zygote.py"),
    ("DataHub CLI and container shims", ".venv-datahub"),
    ("DataHub CLI and container shims", "devkit-datahub-shim"),
    ("PostgreSQL (the warehouse)", "postgres"),
)


def processes() -> dict[int, tuple[int, float, str]]:
    """pid -> (parent pid, CPU seconds so far, command line) of every process."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat, open(f"/proc/{name}/cmdline") as cmd:
                fields = stat.read().rsplit(")", 1)[1].split()
                line = cmd.read().replace("\0", " ")
        except OSError:  # gone meanwhile
            continue
        found[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS, line)
    return found


def tree(roots: set[int], table: dict) -> set[int]:
    """The roots and every process below them."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    seen, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in table and pid not in seen:
            seen.add(pid)
            todo.extend(children.get(pid, []))
    return seen


def kind_of(pid: int, root: int, line: str) -> str:
    if pid == root:
        return "the run command's python"
    return next((kind for kind, marker in KINDS if marker in line), "other")


def run_once(extra: list[str]) -> tuple[int, float, Counter]:
    """Run the command; (exit code, wall seconds, CPU seconds per kind)."""
    before = {pid: cpu for pid, (_, cpu, _) in processes().items()}  # a running warehouse's
    started = time.perf_counter()
    command = [str(REPO / ".venv" / "bin" / "python"), "-m", "devkit.run", *extra]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    most: dict[int, tuple[str, float]] = {}  # pid -> (kind, the most CPU seen)
    lines: dict[int, str] = {}
    while proc.poll() is None:
        table = processes()
        warehouse = {p for p, (_, _, line) in table.items() if str(LOCAL_PG_DATA) in line}
        for pid in tree({proc.pid} | warehouse, table):
            _, cpu, line = table[pid]
            cpu -= before.get(pid, 0.0)
            # The latest command line (a launcher may exec java); none once it exited.
            lines[pid] = line or lines.get(pid, "")
            kind = kind_of(pid, proc.pid, lines[pid])
            most[pid] = (kind, max(cpu, most.get(pid, ("", 0.0))[1]))
        time.sleep(0.1)
    by_kind: Counter = Counter()
    for pid, (kind, cpu) in most.items():
        by_kind[kind] += cpu
        if kind == "other":  # named by its command line, for the next KINDS entry
            by_kind[f"other: {lines[pid][:90]}"] += cpu
    return proc.returncode, time.perf_counter() - started, by_kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args, extra = parser.parse_known_args()
    subprocess.run(["devkit/bootstrap.sh"], cwd=REPO, check=True, capture_output=True)
    for n in range(1, args.repeat + 1):
        code, wall, by_kind = run_once(extra)
        unit = cold_import_airflow_cpu_seconds()
        total = sum(cpu for kind, cpu in by_kind.items() if not kind.startswith("other: "))
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"run {n}: exit {code}, wall {wall:.1f} s, load {load} (1/5/15 min)")
        print(f"  CPU {total:6.1f} s = {total / unit:5.1f} CPU units (CPU unit {unit:.2f} s)")
        for kind, cpu in by_kind.most_common(12):
            if cpu >= 0.05:
                print(f"  {cpu:6.1f} s = {cpu / unit:5.1f} CPU units  {kind}")


if __name__ == "__main__":
    main()
