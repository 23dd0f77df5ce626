"""Every policy of infra/*.yaml grants no blanket wildcard without a written reason."""

from __future__ import annotations

import re

import pytest

from devkit.iam.infra_policies import INFRA_DIR, all_policies, policies
from devkit.iam.recorder import ROLE_NAMES
from devkit.paths import REPO
from lakehouse.tickit import GOLD_SALES_BY_CATEGORY_PREFIX

PIPELINES = INFRA_DIR / "pipelines.yaml"
POLICIES = all_policies()
PERMISSIONS = [p for p in POLICIES if p.kind == "identity"]
# Statement ids allowed a bare "Resource": "*" (their actions have no resource type);
# each is explained in docs/infra.md. Those marked True must also carry a condition.
WILDCARD_RESOURCE_SIDS = {
    "RedshiftDataOwnStatementsWildcardRequired": True,
    "MwaaMetricsWildcardRequired": False,  # the MWAA User Guide sets no condition
    "AccountPublicAccessBlockWildcardRequired": False,
    "DescribeLogGroupsWildcardRequired": False,
    "EcrAuthorizationTokenWildcardRequired": False,
    "NoResourceTypeActionsWildcardRequired": False,
}
ROLES = set(ROLE_NAMES)  # every role a pipeline, the ingestion or the deploy acts as


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _by_label(label: str):
    (policy,) = [p for p in POLICIES if p.label == label]
    return policy


def test_every_contract_role_has_a_trust_and_a_permissions_policy():
    trusted = {p.logical_id for p in POLICIES if p.kind == "trust"}
    granted = {role for p in PERMISSIONS for role in p.roles}
    assert ROLES <= trusted and ROLES <= granted


@pytest.mark.parametrize("policy", PERMISSIONS, ids=lambda p: p.label)
def test_no_unjustified_wildcards(policy):
    assert policy.document["Version"] == "2012-10-17"
    docs = (REPO / "docs" / "infra.md").read_text()
    for statement in policy.statements():
        sid = statement["Sid"]
        assert statement["Effect"] == "Allow" and "NotAction" not in statement, sid
        assert "NotResource" not in statement, sid
        for action in _as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), (sid, action)
        for resource in _as_list(statement.get("Resource", [])):
            if resource == "*":
                assert sid in WILDCARD_RESOURCE_SIDS and sid in docs, sid
                if WILDCARD_RESOURCE_SIDS[sid]:
                    assert statement.get("Condition"), f"{sid}: wildcard without a condition"


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.label)
def test_every_statement_has_a_sid(policy):
    sids = [statement.get("Sid") for statement in policy.statements()]
    assert all(sids) and len(set(sids)) == len(sids), sids


def test_templates_hold_no_credentials_or_account_ids():
    for path in sorted(INFRA_DIR.glob("*.yaml")):
        text = path.read_text()
        assert not re.search(r"AKIA[0-9A-Z]{16}|aws_secret_access_key", text), path
        assert not re.search(r"\b\d{12}\b", text), f"{path}: use ${{AWS::AccountId}}"


@pytest.mark.parametrize("github_environment", ["staging", "production"])
def test_deploy_role_trusts_one_repository_environment_via_oidc(github_environment):
    values = {"GitHubRepository": "acme/pipelines", "GitHubEnvironment": github_environment}
    (trust,) = [
        p
        for p in policies(PIPELINES, values=values)
        if p.label == "pipelines.yaml:DeployRole:AssumeRolePolicyDocument"
    ]
    (statement,) = trust.statements()
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"]["Federated"].endswith(
        ":oidc-provider/token.actions.githubusercontent.com"
    )
    assert set(statement["Condition"]) == {"StringEquals"}
    equals = statement["Condition"]["StringEquals"]
    assert equals == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": (
            f"repo:acme/pipelines:environment:{github_environment}:job_workflow_ref:"
            "acme/pipelines/.github/workflows/deploy.yml@refs/heads/main"
        ),
    }


def test_deploy_role_deletes_only_under_dags():
    deploy = _by_label("pipelines.yaml:DeployRole:deploy")
    deleting = [s for s in deploy.statements() if "s3:DeleteObject" in _as_list(s["Action"])]
    assert [r for s in deleting for r in _as_list(s["Resource"])] == [
        "arn:aws:s3:::mwaa-pipelines-mwaa-123456789012-us-east-1/dags/*"
    ]


def test_deploy_role_changes_the_stack_only_through_the_cloudformation_role():
    deploy = _by_label("pipelines.yaml:DeployRole:deploy")
    statements = {s["Sid"]: s for s in deploy.statements()}
    create = statements["CreateChangeSetsAsTheStackRole"]
    assert create["Action"] == "cloudformation:CreateChangeSet"
    role_arn = create["Condition"]["ArnEquals"]["cloudformation:RoleArn"]
    assert role_arn.endswith(":role/mwaa-pipelines-CloudFormationExecutionRole-SAMPLE")
    passing = statements["PassStackRoleToCloudFormationOnly"]
    assert passing["Resource"] == role_arn
    assert passing["Condition"]["StringEquals"]["iam:PassedToService"] == (
        "cloudformation.amazonaws.com"
    )


def test_mwaa_reads_only_the_airflow_settings_secrets():
    standard = _by_label("pipelines.yaml:MwaaExecutionRole:mwaa-standard")
    reads = [
        r
        for s in standard.statements()
        if "secretsmanager:GetSecretValue" in _as_list(s["Action"])
        for r in _as_list(s["Resource"])
    ]
    prefix = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mwaa-pipelines/airflow/"
    assert reads == [prefix + "variables/*", prefix + "connections/*"]


def test_unload_role_may_clean_only_the_tickit_gold_prefix():
    """UNLOAD ... CLEANPATH lists and deletes under the DAG's target, nothing else."""
    copy_unload = _by_label("pipelines.yaml:RedshiftCopyUnloadRole:copy-unload")
    deletes = [
        r
        for s in copy_unload.statements()
        if "s3:DeleteObject" in _as_list(s["Action"])
        for r in _as_list(s["Resource"])
    ]
    lake = "arn:aws:s3:::mwaa-pipelines-lake-123456789012-us-east-1/"
    assert deletes == [lake + GOLD_SALES_BY_CATEGORY_PREFIX + "*"]
