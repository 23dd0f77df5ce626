"""CloudFormation change sets: show what a template would change, then apply exactly that.

Why change sets rather than UpdateStack: the plan is AWS's own answer (including
which resources it must REPLACE), and apply executes the change set that was
just reviewed. A replaced bucket, namespace or log group comes back empty, so
such a change set is refused unless the caller says --allow-replacement.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

from botocore.exceptions import ClientError

from deploy.cloudformation import stack_states
from deploy.cloudformation.stack_states import Next
from deploy.errors import DeployError

Say = Callable[[str], None]

# The templates name their IAM roles, so every change set must acknowledge that.
CAPABILITIES = ["CAPABILITY_NAMED_IAM"]

# Resource types whose replacement loses data or state, with what is lost.
# The one list the replacement guard reads.
STATEFUL_TYPES: dict[str, str] = {
    "AWS::S3::Bucket": "a new, empty bucket: the objects are not copied over",
    "AWS::RedshiftServerless::Namespace": "a new namespace: every database and table is lost",
    "AWS::RedshiftServerless::Workgroup": "a new workgroup: new endpoint, running queries cut",
    "AWS::Glue::Database": "a new catalog database: every table and partition definition is lost",
    "AWS::SecretsManager::Secret": (  # pragma: allowlist secret (a type name, no secret)
        "a new secret: the stored (or generated) value is lost"
    ),
    "AWS::MWAA::Environment": "a new environment: its metadata database (run history) is lost",
    "AWS::Logs::LogGroup": "a new log group: every stored log event is lost",
}

# CloudFormation's two ways of saying "this template changes nothing".
NO_CHANGE_REASONS = ("didn't contain changes", "No updates are to be performed")
SUCCESS = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
REPLACEMENT_WORDS = {"True": "yes", "False": "no", "Conditional": "conditional"}


@dataclass(frozen=True)
class ResourceChange:
    """One row of a change set, as DescribeChangeSet reports it."""

    logical_id: str
    resource_type: str
    action: str  # Add | Modify | Remove | Import | Dynamic
    replacement: str | None = None  # AWS's "True" | "False" | "Conditional"; None if absent

    @property
    def may_replace(self) -> bool:
        return self.action == "Modify" and self.replacement in ("True", "Conditional")

    @property
    def loses_state(self) -> bool:
        return self.may_replace and self.resource_type in STATEFUL_TYPES


@dataclass
class ChangeSet:
    """A created change set (or the verdict that there is nothing to change)."""

    stack: str
    new_stack: bool
    arn: str | None = None
    stack_id: str | None = None
    changes: list[ResourceChange] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return self.arn is None


def describe_stack(cfn, stack: str) -> dict | None:
    """DescribeStacks of the stack, or None when no such stack exists."""
    try:
        stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in exc.response.get("Error", {}).get("Message", ""):
            return None
        raise
    return stacks[0] if stacks else None


def stack_status(cfn, stack: str) -> str | None:
    """The stack's status, or None when no such stack exists."""
    described = describe_stack(cfn, stack)
    return described["StackStatus"] if described else None


def _check_updatable(stack: str, status: str | None) -> None:
    """Refuse, with the table's advice, a status no change set can be made on."""
    if stack_states.state_of(status).next not in (Next.CREATE, Next.UPDATE):
        raise DeployError(stack_states.refusal(stack, status or "DELETE_COMPLETE"))


# Parameters the DAG deploy moves on every deploy (UpdateEnvironment): the stack's own
# last values are older, so an update takes them from the environment instead.
DEPLOYED_VERSIONS = ("PluginsS3ObjectVersion", "RequirementsS3ObjectVersion")


def existing_stack(cfn, stack: str) -> dict | None:
    """DescribeStacks of the stack, or None when there is none yet to update."""
    described = describe_stack(cfn, stack)
    if described is None or stack_states.state_of(described["StackStatus"]).next is Next.CREATE:
        return None
    return described


def keep_previous_values(
    described: dict | None, parameters: list[dict], declared: set[str], mwaa=None
) -> list[dict]:
    """Parameters this run does not give keep their current value, as `aws cloudformation
    deploy` does: an update never resets one (a size, a name) to its default behind the
    user's back, and never rolls the environment's plugins or requirements back to an
    older object version than the last DAG deploy set (read from the environment)."""
    if described is None:
        return parameters
    given = {p["ParameterKey"] for p in parameters}
    kept = parameters + _deployed_versions(mwaa, described, declared - given)
    given = {p["ParameterKey"] for p in kept}
    current = {p["ParameterKey"] for p in described.get("Parameters", [])}
    return kept + [
        {"ParameterKey": key, "UsePreviousValue": True}
        for key in sorted(current & declared - given)
    ]


def stack_role(described: dict | None) -> str | None:
    """The role the stack says its changes are made with (output
    CloudFormationExecutionRoleArn); None for a new stack or one without it."""
    if described is None:
        return None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    return outputs.get("CloudFormationExecutionRoleArn")


def _deployed_versions(mwaa, described: dict, wanted: set[str]) -> list[dict]:
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    name = outputs.get("MwaaEnvironmentName")
    keys = [key for key in DEPLOYED_VERSIONS if key in wanted]
    if mwaa is None or not name or not keys:
        return []
    environment = mwaa.get_environment(Name=name)["Environment"]
    return [
        {"ParameterKey": k, "ParameterValue": environment[k]} for k in keys if environment.get(k)
    ]


def create(
    cfn,
    stack: str,
    template: dict[str, str],
    parameters: list[dict[str, str]],
    *,
    poll_interval: float = 5.0,
    timeout: float = 600.0,
    role_arn: str | None = None,
) -> ChangeSet:
    """Create a change set (CREATE for a new stack, else UPDATE) and wait for its verdict.

    `template` is {"TemplateBody": ...} or {"TemplateURL": ...} (inputs.template_source).
    `role_arn`: the role CloudFormation makes the changes with (None: the caller's rights).
    """
    status = stack_status(cfn, stack)
    _check_updatable(stack, status)
    new_stack = stack_states.state_of(status).next is Next.CREATE
    try:
        created = cfn.create_change_set(
            **_change_set_request(stack, template, parameters, new_stack, role_arn)
        )
    except ClientError as exc:
        if _says_no_change(exc.response.get("Error", {}).get("Message", "")):
            return ChangeSet(stack, new_stack)
        raise
    change_set = ChangeSet(stack, new_stack, created["Id"], created["StackId"])
    described = _wait_for_verdict(cfn, change_set, poll_interval, timeout)
    if described["Status"] == "FAILED":
        discard(cfn, change_set)
        reason = described.get("StatusReason", "")
        if _says_no_change(reason):
            return ChangeSet(stack, new_stack)
        raise DeployError(f"CloudFormation rejected the change set for stack {stack}: {reason}")
    change_set.changes = _changes(cfn, change_set.arn)
    return change_set


def _change_set_request(
    stack: str,
    template: dict[str, str],
    parameters: list[dict[str, str]],
    new_stack: bool,
    role_arn: str | None,
) -> dict:
    """CreateChangeSet's arguments: a unique name, CREATE or UPDATE, the IAM capability."""
    return {
        "StackName": stack,
        "ChangeSetName": f"deploy-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}",
        "ChangeSetType": "CREATE" if new_stack else "UPDATE",
        **template,  # TemplateBody or TemplateURL
        "Parameters": parameters,
        "Capabilities": CAPABILITIES,
        "Description": "python -m deploy infra",
        **({"RoleARN": role_arn} if role_arn else {}),
    }


def _says_no_change(message: str) -> bool:
    return any(reason in message for reason in NO_CHANGE_REASONS)


def _wait_for_verdict(cfn, change_set: ChangeSet, poll_interval: float, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        described = cfn.describe_change_set(ChangeSetName=change_set.arn)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            return described
        if time.monotonic() > deadline:
            discard(cfn, change_set)
            raise DeployError(
                f"the change set for stack {change_set.stack} was still "
                f"{described['Status']} after {timeout:.0f}s; rerun (it was deleted)"
            )
        time.sleep(poll_interval)


def _changes(cfn, arn: str) -> list[ResourceChange]:
    """Every resource change, over all pages of DescribeChangeSet."""
    changes, token = [], None
    while True:
        page = cfn.describe_change_set(ChangeSetName=arn, **({"NextToken": token} if token else {}))
        for change in page.get("Changes", []):
            resource = change.get("ResourceChange", {})
            changes.append(
                ResourceChange(
                    logical_id=resource.get("LogicalResourceId", "?"),
                    resource_type=resource.get("ResourceType", "?"),
                    action=resource.get("Action", "?"),
                    replacement=resource.get("Replacement"),
                )
            )
        token = page.get("NextToken")
        if not token:
            return changes


def discard(cfn, change_set: ChangeSet) -> None:
    """Delete the change set, and the empty REVIEW_IN_PROGRESS stack a CREATE one leaves."""
    if change_set.arn is None:
        return
    cfn.delete_change_set(ChangeSetName=change_set.arn)
    if change_set.new_stack:
        cfn.delete_stack(StackName=change_set.stack_id)


def refuse_replacements(change_set: ChangeSet) -> None:
    """Stop (after deleting the change set) when it would replace a stateful resource."""
    doomed = [c for c in change_set.changes if c.loses_state]
    if not doomed:
        return
    details = "; ".join(
        f"{c.logical_id} ({c.resource_type}, replacement {REPLACEMENT_WORDS[c.replacement]}): "
        f"{STATEFUL_TYPES[c.resource_type]}"
        for c in doomed
    )
    raise DeployError(
        f"refused: the change set for stack {change_set.stack} would replace stateful "
        f"resources, losing their data: {details}. Nothing was executed and the change set "
        "was deleted; change the template, or rerun with --allow-replacement if the loss is "
        "intended"
    )


def stateful_removals(change_set: ChangeSet) -> list[ResourceChange]:
    """Stateful resources the change set removes (kept only with DeletionPolicy: Retain)."""
    return [
        c for c in change_set.changes if c.action == "Remove" and c.resource_type in STATEFUL_TYPES
    ]


def execute(
    cfn, change_set: ChangeSet, say: Say, poll_interval: float = 5.0, timeout: float = 3600.0
) -> str:
    """Execute the change set and print stack events until a terminal status; return it."""
    last_seen = _newest_event_id(cfn, change_set.stack_id)
    cfn.execute_change_set(ChangeSetName=change_set.arn)
    deadline = time.monotonic() + timeout
    failures: list[dict] = []
    started = False  # an execution always logs an event; a final status before it is stale
    while True:
        events = _events_since(cfn, change_set.stack_id, last_seen)
        for event in events:
            say(event_line(event))
            if event["ResourceStatus"].endswith("_FAILED"):
                failures.append(event)
        if events:
            last_seen, started = events[-1]["EventId"], True
        status = cfn.describe_stacks(StackName=change_set.stack_id)["Stacks"][0]["StackStatus"]
        if started and not status.endswith("_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            raise DeployError(
                f"stack {change_set.stack} still {status} after {timeout:.0f}s: follow it in "
                "the CloudFormation console; apply again once it has finished"
            )
        time.sleep(poll_interval)
    if status not in SUCCESS or failures:
        raise DeployError(_failure_message(change_set.stack, status, failures))
    return status


def _failure_message(stack: str, status: str, failures: list[dict]) -> str:
    if not failures:
        return f"stack {stack} ended {status}: read its events in the CloudFormation console"
    first = failures[0]
    return (
        f"stack {stack} ended {status}: {first['LogicalResourceId']} "
        f"({first.get('ResourceType', '?')}) {first['ResourceStatus']}: "
        f"{first.get('ResourceStatusReason', 'no reason given')}"
    )


def _newest_event_id(cfn, stack_id: str) -> str | None:
    events = cfn.describe_stack_events(StackName=stack_id).get("StackEvents", [])
    return events[0]["EventId"] if events else None


def _events_since(cfn, stack_id: str, last_seen: str | None) -> list[dict]:
    """Events newer than `last_seen`, oldest first (AWS lists them newest first)."""
    newer, token = [], None
    while True:
        page = cfn.describe_stack_events(
            StackName=stack_id, **({"NextToken": token} if token else {})
        )
        for event in page.get("StackEvents", []):
            if event["EventId"] == last_seen:
                return newer[::-1]
            newer.append(event)
        token = page.get("NextToken")
        if not token:
            return newer[::-1]


def event_line(event: dict) -> str:
    """One progress line: time, logical id, status, reason."""
    stamp = event["Timestamp"].strftime("%H:%M:%S")
    reason = event.get("ResourceStatusReason") or ""
    return f"  {stamp} {event['LogicalResourceId']:<32} {event['ResourceStatus']:<28} {reason}"


def change_table(change_set: ChangeSet) -> str:
    """The plan: logical id, type, action, replacement; or that nothing changes."""
    if change_set.up_to_date:
        return f"stack {change_set.stack} is up to date: the template and parameters change nothing"
    rows = [
        (
            c.logical_id,
            c.resource_type,
            c.action,
            REPLACEMENT_WORDS.get(c.replacement or "", "-") if c.action == "Modify" else "-",
        )
        for c in change_set.changes
    ]
    id_width = max([len(r[0]) for r in rows] + [len("LOGICAL ID")])
    type_width = max([len(r[1]) for r in rows] + [len("TYPE")])
    lines = [f"{'LOGICAL ID':<{id_width}} {'TYPE':<{type_width}} {'ACTION':<8} REPLACEMENT"]
    lines += [f"{r[0]:<{id_width}} {r[1]:<{type_width}} {r[2]:<8} {r[3]}" for r in rows]
    verb = "create" if change_set.new_stack else "update"
    counts = {
        a: sum(c.action == a for c in change_set.changes) for a in ("Add", "Modify", "Remove")
    }
    lines.append(
        f"stack {change_set.stack}: would {verb} ({counts['Add']} to add, "
        f"{counts['Modify']} to modify, {counts['Remove']} to remove)"
    )
    return "\n".join(lines)
