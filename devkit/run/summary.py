"""What the run command prints at the end: each run's tasks, the effects, the IAM check."""

from __future__ import annotations

from devkit.airflow.dagrun import DagRunResult
from devkit.airflow.settings import logs_dir
from devkit.run.console import Console, format_value, run_header, task_table


def summarise(console: Console, results: list[DagRunResult], pipeline, seconds: float) -> int:
    """Print the runs, their effects and the IAM check; the exit status (1: anything failed)."""
    print_summary(console, results, pipeline.effects())
    iam = pipeline.check_iam(everything=True)
    print_iam(console, iam)
    failed = [(r.dag_id, t) for r in results for t in r.failed]
    if not iam.ok:
        console.say(f"\nFAILED: {len(iam.problems())} AWS access(es) the roles do not allow:")
        for line in iam.problems():
            console.say(f"  {line}")
    if failed:
        console.say(f"\nFAILED after {seconds:.0f}s: {len(failed)} task(s) did not succeed:")
        for dag_id, task in failed:
            console.say(f"  {dag_id}.{task.task_id}: {task.state}")
    elif iam.ok:
        tasks = sum(len(r.tasks) for r in results)
        console.say(f"\nAll {tasks} tasks of {len(results)} DAG runs succeeded in {seconds:.0f}s.")
    console.say(f"Task logs: {logs_dir()}")
    return 1 if failed or not iam.ok else 0


def print_summary(console: Console, results: list[DagRunResult], effects: dict) -> None:
    for result in results:
        console.say("\n" + run_header(result))
        for line in task_table(result):
            console.say(line)
    console.say("\nEffects:")
    for name, value in effects.items():
        inline = format_value(value)
        if len(inline) <= 100 or not isinstance(value, (dict, list, tuple)):
            console.say(f"  {name}: {inline}")
            continue
        console.say(f"  {name}:")  # long values: one item a line
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            label = "" if isinstance(value, (list, tuple)) else f"{key}: "
            console.say(f"      {label}{format_value(item)}")


def print_iam(console: Console, report) -> None:
    """Per role: accesses by action, denied ones, permissions granted but never used."""
    console.say(f"\nAWS accesses checked against the roles' policies ({report_source()}):")
    for role, row in report.summary().items():
        console.say(f"  {role}: {row['accesses']} accesses, {row['denied']} denied")
        if row["used"]:
            console.say(f"      used: {format_value(row['used'])}")
        for grant in row["granted, never used"]:
            console.say(f"      granted, never used: {grant}")
    if report.unmapped:
        console.say(f"  calls missing from devkit/iam/actions.py: {len(report.unmapped)}")


def report_source() -> str:
    from devkit.iam.policies import POLICY_SOURCE

    return POLICY_SOURCE
