"""The order of the steps, and the progress lines: what each did, what is left."""

from __future__ import annotations

import time
from typing import Callable

from deploy.up import report, steps
from deploy.up.run import Run

Step = tuple[str, Callable[[Run], str]]

STEPS: tuple[Step, ...] = (
    ("pre-flight", steps.step_preflight),
    ("repair", steps.step_repair),
    ("network stack", steps.step_network),
    ("pipelines stack", steps.step_stack),
    ("deploy", steps.step_deploy),
    ("settings", steps.step_settings),
    ("database bootstrap", steps.step_bootstrap),
    # Before the unpause: the scheduler's first run (yesterday's) then finds its extracts.
    ("sample night", steps.step_sample_night),
    ("unpause", steps.step_unpause),
    ("first runs", steps.step_first_runs),
    ("readiness", report.step_readiness),
)


def up(run: Run, order: tuple[Step, ...] = STEPS) -> list[str]:
    """Run every step; each prints what it did and what is left. The lines, for tests."""
    done = []
    for number, (name, step) in enumerate(order, start=1):
        run.say(f"[{number}/{len(order)}] {name} ...")
        started = time.monotonic()
        line = step(run)
        done.append(f"{name}: {line}")
        left = [n for n, _ in order[number:]]
        run.say(f"[{number}/{len(order)}] {name}: {line} ({time.monotonic() - started:.1f}s)")
        run.say(f"      left: {', '.join(left) if left else 'nothing'}")
    return done
