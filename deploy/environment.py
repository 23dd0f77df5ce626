"""MWAA side: is the environment ready, does it need new versions, wait for it.

Whether to call UpdateEnvironment is decided by comparing the versions the
environment runs with the versions the bucket holds, not by "did we upload":
that way a run that uploaded but failed before the update converges on rerun.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Callable

from deploy.errors import DeployError
from deploy.sources import ARTIFACTS

IN_PROGRESS = {"UPDATING", "ROLLING_BACK", "PENDING", "CREATING_SNAPSHOT", "MAINTENANCE"}
BROKEN = {"CREATE_FAILED", "DELETING", "DELETED", "UNAVAILABLE"}


def describe(mwaa: Any, name: str) -> dict:
    """GetEnvironment; a missing environment surfaces as ResourceNotFoundException."""
    return mwaa.get_environment(Name=name)["Environment"]


def check_ready(env: dict, bucket: str, say: Callable[[str], None]) -> None:
    """Refuse to start unless the environment is idle and reads this bucket's dags/."""
    name, status = env.get("Name"), env.get("Status")
    if status == "UPDATE_FAILED":
        say(f"warning: the last update of {name} failed and was rolled back; retrying it")
    elif status != "AVAILABLE":
        hint = "wait until it is AVAILABLE, then rerun" if status in IN_PROGRESS else "fix it first"
        raise DeployError(f"environment {name} is {status}, not AVAILABLE: {hint}")
    arn = env.get("SourceBucketArn", "")
    if arn and arn != f"arn:aws:s3:::{bucket}":
        raise DeployError(
            f"environment {name} reads {arn}, not bucket {bucket!r}: check MWAA_BUCKET"
        )
    dag_path = (env.get("DagS3Path") or "dags").strip("/")
    if dag_path != "dags":
        raise DeployError(
            f"environment {name} reads DAGs from {dag_path!r}; this tool deploys dags/"
        )


NEW_CONTENT = "new content"
OTHER_VERSION = "environment runs another version"


@dataclass(frozen=True)
class EnvironmentUpdate:
    """What UpdateEnvironment needs so the environment runs the bucket's artifacts, and why."""

    params: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # artifact key -> why


def decide_update(
    env: dict | None, versions: dict[str, str | None], uploading: Collection[str] = ()
) -> EnvironmentUpdate:
    """The one rule plan, status, deploy and review share: an artifact in `versions` (key ->
    the bucket's object version) that the environment does not run at that version needs
    UpdateEnvironment. `uploading`: artifacts a plan would write, whose version is not
    known yet (always an update)."""
    update = EnvironmentUpdate()
    if env is None:
        return update
    for artifact in ARTIFACTS:
        if artifact.key not in versions:
            continue
        version = versions[artifact.key]
        path_param, version_param = f"{artifact.param}S3Path", f"{artifact.param}S3ObjectVersion"
        if artifact.key in uploading:
            update.reasons[artifact.key] = NEW_CONTENT
            version = None  # the upload's, not known yet
        elif env.get(path_param) != artifact.key or env.get(version_param) != version:
            update.reasons[artifact.key] = OTHER_VERSION
        else:
            continue
        update.params[path_param] = artifact.key
        if version:
            update.params[version_param] = version
    return update


def update_and_wait(
    mwaa: Any,
    env: dict,
    params: dict[str, str],
    *,
    poll_interval: float,
    timeout: float,
    say: Callable[[str], None],
    worker_replacement: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Call UpdateEnvironment and poll until AVAILABLE; raise on failure or timeout."""
    name = env["Name"]
    before = (env.get("LastUpdate") or {}).get("CreatedAt")
    extra = {"WorkerReplacementStrategy": worker_replacement} if worker_replacement else {}
    mwaa.update_environment(Name=name, **params, **extra)
    say(f"environment {name}: update requested ({', '.join(sorted(params))})")
    started = time.monotonic()
    seen_progress = False
    while True:
        current = describe(mwaa, name)
        status = current.get("Status")
        last = current.get("LastUpdate") or {}
        ours = last.get("CreatedAt") != before
        say(f"  environment {name}: {status} ({time.monotonic() - started:.0f}s)")
        if status in IN_PROGRESS:
            seen_progress = True
        elif status == "UPDATE_FAILED" or (status == "AVAILABLE" and ours and _failed(last)):
            raise DeployError(_failure_message(name, last))
        elif status == "AVAILABLE" and (ours or seen_progress):
            return current
        elif status in BROKEN:
            raise DeployError(f"environment {name} went {status} during the update")
        if time.monotonic() - started > timeout:
            raise DeployError(
                f"environment {name} still {status} after {timeout:.0f}s; watch it in the MWAA "
                "console and rerun deploy once it is AVAILABLE (DAG files were not uploaded)"
            )
        sleep(poll_interval)


def _failed(last: dict) -> bool:
    return last.get("Status") == "FAILED"


def _failure_message(name: str, last: dict) -> str:
    error = last.get("Error") or {}
    detail = f"{error.get('ErrorCode', 'unknown')}: {error.get('ErrorMessage', 'no detail')}"
    return (
        f"environment {name} update FAILED ({detail}). MWAA rolled back to the previous "
        "plugins/requirements; DAG files were not uploaded and nothing was deleted. Check the "
        f"airflow-{name}-* CloudWatch logs (requirements install), fix, and deploy again"
    )
