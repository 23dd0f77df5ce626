"""How long `python -m deploy review` takes, in units of a cold `import airflow` (goal: <= 10).

The review without its IAM section (which reads the access records of local runs,
not runs of its own): a temporary git repository holds this tree as the base
commit, and the working tree changes a DAG's schedule, a SQL file, the template
and plugins/, so every section has work, both trees' DAGs are parsed and their
SQL rendered. Each timing is a fresh `python -m deploy review`, as a CI job or
`make review` starts it. Prints figures; asserts nothing.

    .venv/bin/python bench/review_time.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from units import cold_import_airflow_seconds, in_units

from devkit.paths import REPO

GOAL_UNITS = 10
EDITS = {  # path -> (old, new): one change per section that has one
    "dags/data_lake__bronze.py": ("    schedule=NIGHTLY,", '    schedule="0 1 * * *",'),
    "sql/tickit/unload/sales_by_category.sql": ("COUNT(*) AS", "COUNT(sales.salesid) AS"),
    "infra/pipelines.yaml": ("-lake-${AWS::AccountId}", "-lakehouse-${AWS::AccountId}"),
}


def git(repo: Path, *args: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@example.com"]
    return subprocess.run([*command, *args], check=True, capture_output=True, text=True).stdout


def changed_copy(dest: Path) -> None:
    """This tree committed as the base of a new repository, then edited (not committed)."""
    listed = [p for p in git(REPO, "ls-files", "-co", "--exclude-standard").splitlines()]
    for rel in listed:
        source = REPO / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_bytes(source.read_bytes())
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "base")
    for rel, (old, new) in EDITS.items():
        text = (dest / rel).read_text()
        assert old in text, f"{rel}: {old!r} not found; update EDITS in bench/review_time.py"
        (dest / rel).write_text(text.replace(old, new, 1))
    (dest / "plugins" / "listeners.py").write_text('"""A listener."""\n')


def review_seconds(repo: Path) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "deploy", "review", "--repo", str(repo), "--base", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return time.perf_counter() - started, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    unit = cold_import_airflow_seconds()
    with tempfile.TemporaryDirectory(prefix="review-bench-") as folder:
        repo = Path(folder)
        changed_copy(repo)
        runs = [review_seconds(repo) for _ in range(args.repeat)]
    seconds = statistics.median(t for t, _ in runs)
    verdict = runs[0][1].split("**")[1]
    print(f"unit (cold `import airflow`, median of 3): {unit:.2f} s")
    print(
        f"review of a change to every section (median of {args.repeat}): {in_units(seconds, unit)}"
    )
    print(f"  ratio {seconds / unit:.1f} (goal <= {GOAL_UNITS}); its verdict: {verdict}")


if __name__ == "__main__":
    main()
