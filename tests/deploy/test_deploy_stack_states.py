"""Every CloudFormation stack status is in deploy/cloudformation/stack_states.py, with advice."""

from __future__ import annotations

import botocore.session
import pytest

from deploy.cloudformation import change_sets
from deploy.cloudformation.stack_states import STATES, Next, state_of
from deploy.errors import DeployError


def test_the_table_names_every_status_cloudformation_reports():
    model = botocore.session.get_session().get_service_model("cloudformation")
    assert set(STATES) == set(model.shape_for("StackStatus").enum)


@pytest.mark.parametrize("status", sorted(STATES))
def test_each_status_a_change_set_cannot_use_says_what_to_do(status):
    state = STATES[status]
    if state.next in (Next.CREATE, Next.UPDATE):
        change_sets._check_updatable("s", status)
        return
    assert state.advice, status
    with pytest.raises(DeployError) as err:
        change_sets._check_updatable("s", status)
    assert str(err.value) == f"stack s is {status} ({state.meaning}): {state.advice}"


def test_update_rollback_failed_is_continued_and_a_failed_create_deleted_first():
    assert STATES["UPDATE_ROLLBACK_FAILED"].next is Next.CONTINUE_ROLLBACK
    assert STATES["ROLLBACK_COMPLETE"].next is Next.DELETE_FIRST
    assert "--clean-up" in STATES["ROLLBACK_COMPLETE"].advice
    assert state_of(None).next is Next.CREATE
    assert state_of("SOMETHING_NEW").next is Next.BY_HAND
