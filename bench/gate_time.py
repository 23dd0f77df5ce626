"""Wall time of the gate from a warm environment, in seconds and in units.

Four figures (issues 16, 26), each with the unit (a cold `python -c "import airflow"`,
bench/units.py) measured right before and after it, and the load:
- the full gate, `./run_tests_locally.sh` (goal: at most 40 units on 2 CPUs);
- the pre-push gate for a change to one SQL file of one domain (goal: at most 12);
- the pre-push gate for a docs-only change (goal: at most 3);
- the full gate again with nothing changed since one that passed (issue 26: at most 5),
  the only figure that uses the local rerun cache (devkit/tools/gate_cache.py).
The pre-push figures use `--path P`, the plan `--changed` makes when only P changed, so
they do not depend on what the working tree holds. Runs the full gate once to warm
(.venv, the DataHub venv, caches, metadata DBs) unless --no-warm-up. Prints each run's
step summary; asserts nothing.

Usage: .venv/bin/python bench/gate_time.py [--repeat N] [--only full,sql,docs] [--no-warm-up]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
import uuid

from units import cpu_units_of, in_units, unit_around

from devkit.paths import REPO, SQL_DIR

ONE_SQL_FILE = sorted((SQL_DIR / "tickit" / "merge").glob("*.sql"))[0].relative_to(REPO)
CASES = {
    "full": ("full gate", [], 40),
    "sql": (f"pre-push, one SQL file ({ONE_SQL_FILE})", ["--path", str(ONE_SQL_FILE)], 12),
    "docs": ("pre-push, docs only (docs/gate.md)", ["--path", "docs/gate.md"], 3),
    "rerun": ("full gate rerun, nothing changed (cache)", [], 5),
}


# Each full run uses the rerun cache under a key of its own (the key includes DEVKIT_*
# settings): it does all the work and records its pass; the rerun then finds the last.
BENCH_KEY = {"DEVKIT_GATE_CACHE": "on", "DEVKIT_BENCH_RUN": ""}


def run_gate(args: list[str], cache: str = "off") -> tuple[float, list[str], int]:
    """cache: "off", "new" (a new key: all the work, recorded) or "same" (the last key)."""
    if cache == "new":
        BENCH_KEY["DEVKIT_BENCH_RUN"] = uuid.uuid4().hex
    env = {**os.environ, **(BENCH_KEY if cache != "off" else {"DEVKIT_GATE_CACHE": "off"})}
    started = time.perf_counter()
    proc = subprocess.run(
        ["./run_tests_locally.sh", *args, "-q"], cwd=REPO, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    lines = (proc.stderr + proc.stdout).splitlines()
    plan = [line for line in lines if line.startswith("gate: ")]
    if any(line.startswith("gate: nothing changed") for line in lines):
        return elapsed, plan, proc.returncode
    start = next((i for i, line in enumerate(lines) if line.startswith("Gate summary")), len(lines))
    return elapsed, plan + lines[start:], proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", default="full,sql,docs,rerun", help="of: full, sql, docs, rerun")
    parser.add_argument("--no-warm-up", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()} (1/5/15 min)")
    if not args.no_warm_up:
        run_gate([])
    table = []
    for key in args.only.split(","):
        label, gate_args, goal = CASES[key]
        if key == "rerun" and "full" not in args.only.split(","):
            run_gate(gate_args, cache="new")  # records the pass the rerun finds
        for n in range(1, args.repeat + 1):
            cache = {"full": "new", "rerun": "same"}.get(key, "off")
            ((elapsed, summary, code), cpu), unit, ends = unit_around(
                lambda: cpu_units_of(lambda: run_gate(gate_args, cache))
            )
            load = "load {:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg())
            table.append(f"  {label}: {in_units(elapsed, unit)} (goal <= {goal}; {ends}; {load})")
            table.append(f"    {cpu}")
            print(f"\n{label}, run {n}: {in_units(elapsed, unit)}, exit {code}")
            print("\n".join(summary))
    print("\nsummary (unit: cold `import airflow`, the mean of one before and one after each run):")
    print("\n".join(table))


if __name__ == "__main__":
    main()
