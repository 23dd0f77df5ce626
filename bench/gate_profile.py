"""Where the full gate's time goes: per step, per test module, per fixture set-up, in units.

Runs `./run_tests_locally.sh` (the full gate, or `--path P` / any gate options given)
once with bench/gate_profile_plugin.py loaded in every pytest process, then prints:
the gate's step summary; each process's collection (imports: Airflow, providers, DAGs);
each test module's wall and CPU time (set-up, call, teardown; CPU includes the children
it waited for, e.g. the unpatched night's process); each fixture's own set-up (emulation,
PostgreSQL, the Spark JVM, the DataHub CLI, MWAA's environment, Airflow's metadata DB);
each worker's timeline (when it collected, each module's start, wall, CPU, the CPU of the
live processes it started, and what its main thread slept) and how long it sat idle at
the end; the machine's busy and idle CPU while the gate ran (on a shared machine, busy
CPU beyond the gate's own is other load, which stretches the gate's wall time).
The unit (a cold `import airflow`, bench/units.py) and the load average are measured in
the same run, before and after. Prints figures, asserts nothing.

Usage: .venv/bin/python bench/gate_profile.py [--top N] [gate options...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from units import children_cpu, unit_around

from devkit.paths import REPO

# What each costly fixture starts, for the summary by kind (the rest: "other").
KINDS = {
    "local_aws": "AWS emulation (moto server + Redshift on PostgreSQL)",
    "endpoints": "AWS emulation (moto S3 + fake MWAA, deploy tests)",
    "embedded_postgres": "PostgreSQL (pgserver)",
    "spark": "Spark JVM",
    "airflow_db": "Airflow metadata DB (migrate)",
    "mwaa_python": "MWAA environment (.venv-mwaa)",
    "unpatched": "Airflow, unpatched night (child process)",
    "tickit_two_nights": "Airflow, TICKIT two nights (dag.test)",
}


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} / {five:.1f} / {fifteen:.1f} (1/5/15 min) on {os.cpu_count()} CPUs"


def machine_jiffies() -> tuple[int, int]:
    """(busy, idle) CPU ticks of the whole machine since boot (/proc/stat; iowait is idle)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values[:8]) - idle, idle


class MachineSampler:
    """The machine's busy and idle CPU once a second while the gate runs: idle CPU while
    the gate runs is time its workers wait or sit out; busy CPU beyond the gate's own is
    other processes' load (a shared machine), which stretches the gate's wall time."""

    def __init__(self):
        self.samples: list[tuple[float, int, int]] = []
        self.gate_cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.samples.append((time.perf_counter(), *machine_jiffies()))
            if self._stop.wait(1.0):
                self.samples.append((time.perf_counter(), *machine_jiffies()))
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def report(self, unit: float, every: int = 10) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        (t0, b0, i0), (t1, b1, i1) = self.samples[0], self.samples[-1]
        busy, idle = (b1 - b0) / ticks, (i1 - i0) / ticks
        print(
            f"\nmachine CPU while the gate ran ({t1 - t0:.0f} s x {os.cpu_count()} CPUs), CPU s"
            f" (units): busy {busy:.0f} ({busy / unit:.1f}), of which the gate's own (the"
            f" processes it waited for) {self.gate_cpu:.0f} ({self.gate_cpu / unit:.1f});"
            f" idle {idle:.0f} ({idle / unit:.1f})"
        )
        line = []
        for n in range(0, len(self.samples) - every, every):
            (_, ba, ia), (_, bb, ib) = self.samples[n], self.samples[n + every]
            line.append(f"{100 * (bb - ba) / max(1, bb - ba + ib - ia):.0f}")
        print(f"  machine busy %, per {every} s: {' '.join(line)}")


def sampled(run):
    """`run()`'s result and the machine's CPU while it ran, with the CPU of `run`'s own
    processes (those waited for: PostgreSQL's daemonized servers are not)."""
    with MachineSampler() as machine:
        before = children_cpu()
        result = run()
        machine.gate_cpu = children_cpu() - before
    return result, machine


def run_gate(gate_args: list[str], folder: Path) -> tuple[float, list[str], int, float]:
    env = {
        **os.environ,
        "GATE_PROFILE_DIR": str(folder),
        "DEVKIT_GATE_CACHE": "off",  # a profile of the work, not of a cached outcome
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO / "bench"), os.environ.get("PYTHONPATH")])
        ),
    }
    started, started_at = time.perf_counter(), time.time()
    proc = subprocess.run(
        ["./run_tests_locally.sh", *gate_args, "-p", "gate_profile_plugin", "-q"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    lines = (proc.stderr + proc.stdout).splitlines()
    keep = [line for line in lines if line.startswith("gate: ") or " passed" in line]
    start = next((i for i, line in enumerate(lines) if line.startswith("Gate summary")), len(lines))
    return elapsed, keep + lines[start:], proc.returncode, started_at


def head_and_tail(records: list[dict], started_at: float, elapsed: float, unit: float) -> None:
    """The gate's fixed cost around the tests: from its start to the first test (the
    bootstrap check, the plan, the cache key, pytest's and the workers' start-up and
    collection), and from the end of the last test to its own end (session fixtures'
    teardown, the workers' and the controller's exit, the checks' output, the summary,
    the cache key again)."""
    modules = [m for r in records if r["worker"] != "main" for m in r["modules"].values()]
    if not modules:
        return
    first = min(m["started"] for m in modules) - started_at
    tail = started_at + elapsed - max(m.get("call_ended", m["ended"]) for m in modules)
    print(
        f"head: first test at {first:.1f} s = {first / unit:.2f} units; tail: the gate ended"
        f" {tail:.1f} s = {tail / unit:.2f} units after the last test"
    )


def table(title: str, rows: list[tuple[str, float, float, str]], unit: float, top: int) -> None:
    print(f"\n{title}  (wall units, CPU units)")
    for name, wall, cpu, note in sorted(rows, key=lambda r: -max(r[1], r[2]))[:top]:
        print(f"  {wall / unit:6.2f} {cpu / unit:6.2f}  {name}{note}")


def module_rows(records: list[dict], unit: float) -> list[tuple]:
    """One row per test module and process: set-up + call + teardown."""
    modules = []
    for r in records:
        for name, m in r["modules"].items():
            wall = sum(m.get(f"{p}_wall", 0) for p in ("setup", "call", "teardown"))
            cpu = sum(m.get(f"{p}_cpu", 0) for p in ("setup", "call", "teardown"))
            setup = m.get("setup_wall", 0) / unit
            note = f"  [{int(m.get('tests', 0))} tests, {r['worker']}; set-up {setup:.2f}]"
            modules.append((name, wall, cpu, note))
    return modules


def fixture_totals(records: list[dict]) -> dict[tuple, list[float]]:
    """(name, scope, where) -> [wall, cpu, set-ups]; a session fixture counts per process."""
    by_fixture: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for r in records:
        for f in r["fixtures"]:
            key = (f["name"], f["scope"], r["worker"] if f["scope"] == "session" else f["module"])
            by_fixture[key][0] += f["wall"]
            by_fixture[key][1] += f["cpu"]
            by_fixture[key][2] += 1
    return by_fixture


def timeline(records: list[dict], unit: float, top: int) -> None:
    """Each worker's modules in the order it ran them, from the gate's first process start:
    where a worker waits (wall far above its tree's CPU) or idles (ends before the other)."""
    workers = [r for r in records if r["worker"] != "main" and r["modules"]]
    if not workers:
        return
    zero = min(r["started"] for r in records)

    def at(seconds: float) -> str:
        return f"{(seconds - zero) / unit:.1f}"

    ends = {r["worker"]: max(m["ended"] for m in r["modules"].values()) for r in workers}
    last = max(ends.values())
    print(
        "\ntimeline per worker (units from the first process start; wall, CPU, tree CPU,"
        " the main thread's sleeps)"
    )
    for r in workers:
        modules = sorted(r["modules"].items(), key=lambda item: item[1]["started"])
        busy = sum(m["ended"] - m["started"] for _, m in modules) / unit
        tree = sum(m.get("tree_cpu", 0) for _, m in modules) / unit
        collected, end = r["collection"], ends[r["worker"]]
        print(
            f"  {r['worker']}: process at {at(r['started'])}, collection"
            f" {at(collected['started'])}-{at(collected['ended'])}, first test at"
            f" {at(modules[0][1]['started'])}, last ends at {at(end)} (then idle"
            f" {(last - end) / unit:.1f}); modules {busy:.1f} wall, tree CPU {tree:.1f}"
        )
        big = sorted(modules, key=lambda item: item[1]["started"] - item[1]["ended"])[:top]
        for name, m in sorted(big, key=lambda item: item[1]["started"]):
            cpu = sum(m.get(f"{p}_cpu", 0) for p in ("setup", "call", "teardown")) / unit
            wall = (m["ended"] - m["started"]) / unit
            tree, slept = m.get("tree_cpu", 0) / unit, m.get("slept", 0) / unit
            figures = f"+{wall:5.2f} {cpu:6.2f} {tree:6.2f} {slept:5.2f}"
            print(f"    {at(m['started']):>6} {figures}  {name}")
        for where, seconds in sorted(r.get("sleeps", {}).items(), key=lambda kv: -kv[1])[:5]:
            print(f"    slept {seconds / unit:5.2f} at {where}")


def report(records: list[dict], unit: float, top: int) -> None:
    table(
        "per process: whole life / collection",
        [(f"{r['worker']} (whole)", r["wall"], r["cpu"], "") for r in records]
        + [
            (
                f"{r['worker']} (collection)",
                r["collection"].get("wall", 0),
                r["collection"].get("cpu", 0),
                "",
            )
            for r in records
        ],
        unit,
        top,
    )
    table("per test module: set-up + call + teardown", module_rows(records, unit), unit, top)
    by_fixture = fixture_totals(records)
    table(
        "per fixture set-up (its own, without the fixtures it requests)",
        [
            (f"{n} ({s}, {where})", w, c, f"  x{k}")
            for (n, s, where), (w, c, k) in by_fixture.items()
        ],
        unit,
        top,
    )
    kinds: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for (name, _, _), (wall, cpu, count) in by_fixture.items():
        kind = KINDS.get(name)
        if kind:
            kinds[kind][0] += wall
            kinds[kind][1] += cpu
            kinds[kind][2] += count
    table(
        "by kind of start-up", [(k, w, c, f"  x{n}") for k, (w, c, n) in kinds.items()], unit, top
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=25)
    args, gate_args = parser.parse_known_args()
    print(f"before: {load()}")
    with tempfile.TemporaryDirectory() as folder:
        ((elapsed, summary, code, started_at), machine), unit, ends = unit_around(
            lambda: sampled(lambda: run_gate(gate_args, Path(folder)))
        )
        records = [json.loads(p.read_text()) for p in sorted(Path(folder).glob("*.json"))]
    print(f"after:  {load()}")
    print(f"unit: cold `import airflow` = {unit:.2f} s, the mean of the {ends}")
    which = " ".join(gate_args) or "(full)"
    print(f"gate {which}: {elapsed:.1f} s = {elapsed / unit:.1f} units, exit {code}")
    print("\n".join(summary))
    head_and_tail(records, started_at, elapsed, unit)
    report(records, unit, args.top)
    timeline(records, unit, args.top)
    machine.report(unit)


if __name__ == "__main__":
    main()
