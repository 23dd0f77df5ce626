"""The stacks: repair what pre-flight found, the network (optional), then the pipelines.

Both stacks go through `deploy infra`'s own change-set code (deploy/cloudformation/cli.py),
so `up` and CI make changes the same way: plan, replacement guard, execute.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from deploy.cloudformation import change_sets
from deploy.cloudformation.cli import StackChange, run_change_set
from deploy.errors import DeployError
from deploy.up.preflight import retained_buckets

Say = Callable[[str], None]
NETWORK_TEMPLATE = Path("infra/network.yaml")


def wait_for(cfn, stack: str, done: set[str], poll: float, timeout: float) -> str | None:
    """Poll until the stack's status is in `done` (None: the stack is gone)."""
    deadline = time.monotonic() + timeout
    while True:
        status = change_sets.stack_status(cfn, stack)
        if status is None or status in done:
            return status
        if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return status
        time.sleep(poll)


def empty_bucket(s3, bucket: str) -> int:
    """Delete every object version and delete marker; the number deleted."""
    deleted = 0
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
    for page in pages:
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
            deleted += len(doomed)
    return deleted


def clean_up(cfn, s3, stack: str, say: Say, poll: float, timeout: float) -> None:
    """--clean-up of a failed first create: empty and delete the retained buckets, delete
    the stack. Rerun-safe: a bucket already gone is skipped."""
    for bucket in retained_buckets(cfn, stack):
        try:
            count = empty_bucket(s3, bucket)
            s3.delete_bucket(Bucket=bucket)
            say(f"  deleted the retained bucket {bucket} ({count} object version(s))")
        except s3.exceptions.NoSuchBucket:
            say(f"  bucket {bucket} already gone")
    cfn.delete_stack(StackName=stack)
    status = wait_for(cfn, stack, {"DELETE_COMPLETE"}, poll, timeout)
    if status not in (None, "DELETE_COMPLETE"):
        raise DeployError(f"stack {stack} is {status} after the delete: read its events")
    say(f"  deleted stack {stack}")


def continue_rollback(cfn, stack: str, say: Say, poll: float, timeout: float) -> None:
    """UPDATE_ROLLBACK_FAILED -> ContinueUpdateRollback -> UPDATE_ROLLBACK_COMPLETE."""
    cfn.continue_update_rollback(StackName=stack)
    status = wait_for(cfn, stack, {"UPDATE_ROLLBACK_COMPLETE"}, poll, timeout)
    if status != "UPDATE_ROLLBACK_COMPLETE":
        raise DeployError(
            f"stack {stack} is {status} after ContinueUpdateRollback: fix the resource its "
            "events name, or skip it with aws cloudformation continue-update-rollback "
            f"--stack-name {stack} --resources-to-skip <logical id>; then rerun"
        )
    say(f"  continued the rollback of stack {stack}: UPDATE_ROLLBACK_COMPLETE")


def apply(clients, stack: str, template: Path, parameters: dict[str, str], options, say) -> None:
    """`deploy infra apply` of one stack (nothing to change: nothing executed). `deploy up`
    resolved --env into the stack and parameters already."""
    change = StackChange(
        stack=stack,
        template=template,
        parameters=parameters,
        execute=True,
        role_arn=options.role_arn,
        template_bucket=options.template_bucket,
        poll_interval=options.poll_interval,
        timeout=options.timeout,
    )
    run_change_set(change, clients, say)


def outputs(cfn, stack: str) -> dict[str, str]:
    """The stack's outputs ({} when it does not exist)."""
    described = change_sets.describe_stack(cfn, stack)
    if described is None:
        return {}
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def network_parameters(network_outputs: dict[str, str]) -> dict[str, str]:
    """The pipelines parameters the network stack answers."""
    return {
        "PrivateSubnetIds": network_outputs["PrivateSubnetIds"],
        "RedshiftSubnetIds": network_outputs["RedshiftSubnetIds"],
        "SecurityGroupIds": network_outputs["SecurityGroupId"],
    }
