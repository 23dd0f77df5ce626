"""The deploy tool's calls, as the deploy role, checked against its policy.

Every test using `world` is checked by tests/deploy/conftest.py; here a deploy's
recorded calls are shown allowed, and taking one permission away names the denial.
"""

from __future__ import annotations

import pytest

from deploy import runner
from devkit.iam.check import AccessDenied
from devkit.iam.policies import without_permission
from tests.deploy.conftest import deploy_role_check, deploy_role_policies, passed


def test_a_deploy_is_recorded_as_the_deploy_role_and_allowed(world, repo):
    runner.run_deploy(world.settings(repo), world.clients, print, passed)
    report = deploy_role_check(world)
    assert report.ok, report.problems()
    used = report.summary()["DeployRole"]["used"]
    assert {"s3:ListBucket", "s3:PutObject", "s3:GetBucketVersioning"} <= set(used)
    assert {"airflow:GetEnvironment", "airflow:UpdateEnvironment"} <= set(used)


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("s3:PutObject", "arn:aws:s3:::{bucket}/dags/"),
        ("airflow:UpdateEnvironment", "arn:aws:airflow:us-east-1:123456789012:environment/{env}"),
    ],
)
def test_removing_a_permission_the_deploy_uses_fails_naming_it(world, repo, action, resource):
    runner.run_deploy(world.settings(repo), world.clients, print, passed)
    policies = without_permission(deploy_role_policies(world), "DeployRole", action)
    with pytest.raises(AccessDenied) as denied:
        deploy_role_check(world, policies).raise_for_problems()
    expected = resource.format(bucket=world.bucket, env=world.environment)
    assert f"DENIED DeployRole: {action} on {expected}" in str(denied.value)
    assert "-> change infra/pipelines.yaml: DeployRole" in str(denied.value)
