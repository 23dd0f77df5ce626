"""Every CloudFormation stack status, what it means and what the deploy tool does about it.

The one table `deploy infra` and `deploy up` read, so no status is ever met
unexplained. The statuses and meanings are AWS's ("Stack status codes", AWS
CloudFormation User Guide:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html);
a test holds the table to botocore's list of `StackStatus` values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Next(Enum):
    """What a change set (or `deploy up`) may do with a stack in that status."""

    CREATE = "create"  # no usable stack: a CREATE change set makes it
    UPDATE = "update"  # an UPDATE change set may be made and executed
    WAIT = "wait"  # an operation runs: wait for it, then rerun
    DELETE_FIRST = "delete-first"  # a failed create: delete (retained buckets too), recreate
    CONTINUE_ROLLBACK = "continue-rollback"  # ContinueUpdateRollback, then update
    BY_HAND = "by-hand"  # read the events and fix the named resource first


@dataclass(frozen=True)
class StackState:
    """One status: AWS's meaning and the tool's next move, with the advice it prints."""

    meaning: str
    next: Next
    advice: str = ""


_WAIT = "wait until it finishes (follow its events), then rerun"
_DELETE = (
    "its first create failed and it cannot be updated: `python -m deploy up --clean-up` "
    "deletes it and the buckets it retained (after you confirm they hold nothing you need), "
    "then creates it again"
)

STATES: dict[str, StackState] = {
    "CREATE_IN_PROGRESS": StackState("being created", Next.WAIT, _WAIT),
    "CREATE_COMPLETE": StackState("created", Next.UPDATE),
    "CREATE_FAILED": StackState(
        "create failed and rollback was disabled",
        Next.BY_HAND,
        "read its events, fix the failed resource, then roll it back "
        "(aws cloudformation rollback-stack) and rerun",
    ),
    "ROLLBACK_IN_PROGRESS": StackState("a failed create is being rolled back", Next.WAIT, _WAIT),
    "ROLLBACK_COMPLETE": StackState("a failed create was rolled back", Next.DELETE_FIRST, _DELETE),
    "ROLLBACK_FAILED": StackState(
        "a failed create could not be rolled back", Next.DELETE_FIRST, _DELETE
    ),
    "DELETE_IN_PROGRESS": StackState("being deleted", Next.WAIT, _WAIT),
    "DELETE_COMPLETE": StackState("deleted", Next.CREATE),
    "DELETE_FAILED": StackState(
        "a delete failed (usually a bucket that is not empty)", Next.DELETE_FIRST, _DELETE
    ),
    "REVIEW_IN_PROGRESS": StackState("a CREATE change set exists, nothing created", Next.CREATE),
    "UPDATE_IN_PROGRESS": StackState("being updated", Next.WAIT, _WAIT),
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": StackState(
        "updated; old resources being removed", Next.WAIT, _WAIT
    ),
    "UPDATE_COMPLETE": StackState("updated", Next.UPDATE),
    "UPDATE_FAILED": StackState(
        "an update failed and rollback was disabled",
        Next.UPDATE,
        "a new change set retries it (or aws cloudformation rollback-stack)",
    ),
    "UPDATE_ROLLBACK_IN_PROGRESS": StackState(
        "a failed update is being rolled back", Next.WAIT, _WAIT
    ),
    "UPDATE_ROLLBACK_FAILED": StackState(
        "a failed update could not be rolled back: the stack is stuck until it is",
        Next.CONTINUE_ROLLBACK,
        "`python -m deploy up` continues the rollback (ContinueUpdateRollback); if that fails "
        "again, fix the resource its events name, or skip it with "
        "aws cloudformation continue-update-rollback --resources-to-skip <logical id>",
    ),
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": StackState(
        "rolled back; new resources being removed", Next.WAIT, _WAIT
    ),
    "UPDATE_ROLLBACK_COMPLETE": StackState(
        "a failed update was rolled back to the last working template", Next.UPDATE
    ),
    "IMPORT_IN_PROGRESS": StackState("resources being imported", Next.WAIT, _WAIT),
    "IMPORT_COMPLETE": StackState("resources imported", Next.UPDATE),
    "IMPORT_ROLLBACK_IN_PROGRESS": StackState(
        "a failed import is being rolled back", Next.WAIT, _WAIT
    ),
    "IMPORT_ROLLBACK_FAILED": StackState(
        "a failed import could not be rolled back",
        Next.BY_HAND,
        "read its events, fix or remove the resources that failed to import, then rerun",
    ),
    "IMPORT_ROLLBACK_COMPLETE": StackState(
        "a failed import was rolled back to the last working template", Next.UPDATE
    ),
}


def state_of(status: str | None) -> StackState:
    """The table's row; no stack at all reads as DELETE_COMPLETE (create it)."""
    if status is None:
        return STATES["DELETE_COMPLETE"]
    try:
        return STATES[status]
    except KeyError:
        return StackState(
            f"unknown to this tool ({status})",
            Next.BY_HAND,
            "add the status to STATES in deploy/cloudformation/stack_states.py with what to do",
        )


def refusal(stack: str, status: str) -> str:
    """The one line a change set refused by the stack's status prints."""
    state = state_of(status)
    return f"stack {stack} is {status} ({state.meaning}): {state.advice}"
