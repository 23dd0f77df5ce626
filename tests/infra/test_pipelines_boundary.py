"""The permissions boundary: no template change escalates through CI.

Every role of infra/pipelines.yaml carries StackRoleBoundary. A grant past it fails
the IAM lint naming the boundary (devkit/iam/boundary.py) and is refused at run time
(identity ∩ boundary, devkit/iam/evaluate.py). CloudFormationExecutionRole, as
bounded, cannot change DeployRole, itself or the boundary, and creates roles only with
the boundary on them.
"""

from __future__ import annotations

import copy
import json

import pytest

from devkit.iam.boundary import excesses
from devkit.iam.check import check
from devkit.iam.evaluate import Request, evaluate
from devkit.iam.infra_policies import (
    INFRA_DIR,
    SAMPLE_ACCOUNT,
    SAMPLE_STACK,
    load_template,
    policies,
)
from devkit.iam.policies import policies_for, split_resources, stack_resources
from devkit.iam.recorder import Access
from devkit.tools import iam_lint

TEMPLATE_PATH = INFRA_DIR / "pipelines.yaml"
DOCUMENTS = policies(TEMPLATE_PATH)
ROLES = [d.logical_id for d in DOCUMENTS if d.kind == "trust"]
IAM = f"arn:aws:iam::{SAMPLE_ACCOUNT}:"
BOUNDARY_ARN = f"{IAM}policy/{SAMPLE_STACK}-role-boundary"


def _of(kind: str, role: str) -> list[dict]:
    return [d.document for d in DOCUMENTS if d.kind == kind and role in d.roles]


def stack_role(action: str, resource: str, **context) -> tuple[bool, str]:
    decision = evaluate(
        _of("identity", "CloudFormationExecutionRole"),
        Request(action, resource, context),
        _of("boundary", "CloudFormationExecutionRole"),
    )
    return decision.allowed, decision.reason


def test_every_role_the_stack_creates_carries_the_one_boundary():
    (boundary,) = [d for d in DOCUMENTS if d.kind == "boundary"]
    assert boundary.logical_id == "StackRoleBoundary"
    assert sorted(boundary.roles) == sorted(ROLES) and len(ROLES) == 8


def test_the_template_grants_nothing_outside_the_boundary():
    assert excesses(DOCUMENTS) == []


@pytest.mark.parametrize("role", ["MwaaExecutionRole", "GlueCrawlerRole", "DeployRole"])
def test_adding_iam_star_to_a_role_fails_the_iam_lint_naming_the_boundary(tmp_path, role):
    template = copy.deepcopy(load_template(TEMPLATE_PATH))
    inline = template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]
    inline["Statement"].append(
        {"Sid": "Escalate", "Effect": "Allow", "Action": "iam:*", "Resource": "*"}
    )
    changed = tmp_path / "pipelines.yaml"
    changed.write_text(json.dumps(template))
    findings = iam_lint.boundary_findings(policies(changed))
    assert [(f.issue, f.sid, f.subject) for f in findings] == [
        (iam_lint.OUTSIDE_BOUNDARY, "Escalate", "iam:* on *")
    ]
    assert f"StackRoleBoundary of {role}" in findings[0].title


def test_at_run_time_a_grant_past_the_boundary_is_denied_naming_it():
    resources = stack_resources(SAMPLE_ACCOUNT, "us-east-1", "mwaa-pipelines", {}, {})
    documents = policies_for(resources, principals=("MwaaExecutionRole",))
    widened = copy.deepcopy(documents)
    widened["MwaaExecutionRole"][0]["Statement"].append(
        {"Sid": "Escalate", "Effect": "Allow", "Action": "iam:*", "Resource": "*"}
    )
    access = Access("MwaaExecutionRole", "test", Request("iam:CreateUser", f"{IAM}user/x"))
    assert not check([access], documents).ok
    (line,) = check([access], widened).problems()
    assert "outside the permissions boundary StackRoleBoundary" in line
    assert split_resources(resources)  # the sample resources resolve


@pytest.mark.parametrize(
    "action",
    [
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRole",
        "iam:AttachRolePolicy",
        "iam:DeleteRolePermissionsBoundary",
        "iam:TagRole",
    ],
)
@pytest.mark.parametrize("role", ["DeployRole", "CloudFormationExecutionRole"])
def test_the_stack_role_cannot_change_the_deploy_role_or_itself(action, role):
    arn = f"{IAM}role/{SAMPLE_STACK}-{role}-SAMPLE"
    allowed, _ = stack_role(action, arn, **{"iam:PermissionsBoundary": BOUNDARY_ARN})
    assert not allowed


@pytest.mark.parametrize(
    "action", ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"]
)
def test_the_stack_role_cannot_change_the_boundary(action):
    assert not stack_role(action, BOUNDARY_ARN)[0]


def test_the_stack_role_creates_and_changes_roles_only_with_the_boundary():
    arn = f"{IAM}role/{SAMPLE_STACK}-MwaaExecutionRole-SAMPLE"
    for action in ("iam:CreateRole", "iam:PutRolePolicy"):
        assert stack_role(action, arn, **{"iam:PermissionsBoundary": BOUNDARY_ARN})[0]
        assert not stack_role(action, arn)[0]
        other = f"{IAM}policy/AdministratorAccess"
        assert not stack_role(action, arn, **{"iam:PermissionsBoundary": other})[0]
    assert not stack_role("iam:DeleteRolePermissionsBoundary", arn)[0]
    assert not stack_role("iam:CreateUser", f"{IAM}user/x")[0]


def test_the_deploy_role_trusts_one_workflow_on_main_in_one_environment():
    production = policies(TEMPLATE_PATH, values={"GitHubEnvironment": "production"})
    (trust,) = [d for d in production if d.kind == "trust" and d.logical_id == "DeployRole"]
    (statement,) = trust.statements()
    condition = statement["Condition"]["StringEquals"]
    repo = "example-org/mwaa-pipelines"
    assert condition["token.actions.githubusercontent.com:sub"] == (
        f"repo:{repo}:environment:production:job_workflow_ref:"
        f"{repo}/.github/workflows/deploy.yml@refs/heads/main"
    )
    assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    staging = policies(TEMPLATE_PATH, values={"GitHubEnvironment": "staging"})
    (trust,) = [d for d in staging if d.kind == "trust" and d.logical_id == "DeployRole"]
    sub = trust.statements()[0]["Condition"]["StringEquals"]
    assert ":environment:staging:" in sub["token.actions.githubusercontent.com:sub"]
