"""MWAA confirms a deploy: every shipped DAG parsed, no import errors.

Why: the gate parses the DAGs locally, but only MWAA's own parse says they load
there (its packages, its plugins.zip, its requirements). After a deploy this
waits until Airflow on MWAA has parsed the files the deploy wrote, then fails
when `/importErrors` lists any file or a DAG the repository ships is missing
from `/dags`, so green in CI means green on MWAA. New files can take MWAA up to
`dag_dir_list_interval` (5 minutes) to notice, hence the generous default wait.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import PurePosixPath
from typing import Callable

from deploy import mwaa_rest
from deploy.errors import DeployError

Say = Callable[[str], None]


def shipped_dag_ids(keys) -> set[str]:
    """DAG ids of the files under dags/: one DAG per file, file name = dag_id =
    `<domain>__<name>` (docs/dag_style.md), so helpers and packages are not DAGs."""
    ids = set()
    for key in keys:
        path = PurePosixPath(key)
        if len(path.parts) == 2 and path.parts[0] == "dags" and path.suffix == ".py":
            if "__" in path.stem and not path.stem.startswith("_"):
                ids.add(path.stem)
    return ids


def _parsed_after(dag: dict, since: datetime) -> bool:
    stamp = dag.get("last_parsed_time")
    if not stamp:
        return False
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) >= since


def _error_line(error: dict) -> str:
    trace = (error.get("stack_trace") or "").strip().splitlines()
    return f"{error.get('filename', '?')}: {trace[-1] if trace else 'no stack trace'}"


def check_once(
    mwaa, environment: str, expected: set[str], fresh: set[str], since: datetime
) -> list[str]:
    """What still stands between this deploy and green; raises on import errors."""
    errors = mwaa_rest.import_errors(mwaa, environment)
    if errors:
        raise DeployError(
            f"MWAA environment {environment} cannot import {len(errors)} DAG file(s): "
            + "; ".join(_error_line(e) for e in errors)
            + ". Fix the file(s) and deploy again (the Airflow UI's import errors show the "
            "full trace)"
        )
    listed = mwaa_rest.dags(mwaa, environment)
    waiting = [f"{d} not in /dags" for d in sorted(expected - set(listed))]
    waiting += [
        f"{d} not parsed since the deploy"
        for d in sorted(fresh & set(listed))
        if not _parsed_after(listed[d], since)
    ]
    return waiting


def confirm(
    mwaa,
    environment: str,
    expected: set[str],
    fresh: set[str],
    since: datetime,
    *,
    say: Say,
    poll_interval: float = 15.0,
    timeout: float = 600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Wait until MWAA lists every expected DAG, the `fresh` ones parsed after `since`."""
    deadline = time.monotonic() + timeout
    say(f"waiting for MWAA to parse {len(expected)} DAG(s) ...")
    while True:
        waiting = check_once(mwaa, environment, expected, fresh, since)
        if not waiting:
            say(f"MWAA parsed all {len(expected)} DAG(s), no import errors")
            return
        if time.monotonic() > deadline:
            raise DeployError(
                f"MWAA environment {environment} after {timeout:.0f}s: "
                + "; ".join(waiting)
                + ". A DAG missing without an import error: check that its file defines the "
                "dag_id it is named after, and the scheduler's DAG processing logs"
            )
        sleep(poll_interval)
