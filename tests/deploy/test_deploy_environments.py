"""`--env`: an environment is a stack, named with its parameters in infra/environments/.

The deploy commands take the bucket and MWAA environment from the stack's outputs;
`deploy infra` takes the stack and its parameters. The environments' files must keep
them apart. Then both real environments' stacks are created from infra/pipelines.yaml
in one moto account and region (the resource types moto's CloudFormation creates).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from deploy import environments
from deploy.__main__ import main
from deploy.aws import Clients
from deploy.cloudformation import cli as infra_cli
from deploy.cloudformation.inputs import read_parameters
from deploy.errors import DeployError
from devkit.iam.policies import template
from devkit.paths import REPO
from tests.deploy.conftest import DEPLOY_CREDENTIALS, _client
from tests.deploy.test_deploy_infra_settings import outputs_template


def write_environments(repo: Path, **envs: dict) -> None:
    folder = repo / environments.ENVIRONMENTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name, document in envs.items():
        (folder / f"{name}.json").write_text(json.dumps(document))


@pytest.fixture
def staged(world, repo):
    """The world as environment `staging` of `repo`: a stack whose outputs name it."""
    cfn = _client("cloudformation", world.endpoints["s3"])
    outputs = {"MwaaBucket": world.bucket, "MwaaEnvironmentName": world.environment}
    cfn.create_stack(StackName=world.environment, TemplateBody=outputs_template(outputs))
    write_environments(
        repo,
        staging={"stack": world.environment, "parameters": {"GitHubEnvironment": "staging"}},
        production={
            "stack": world.environment.replace("mwaa", "prod"),
            "promote_from": "staging",
            "parameters": {"GitHubEnvironment": "production"},
        },
    )
    deploy_cfn = _client("cloudformation", world.endpoints["s3"], DEPLOY_CREDENTIALS)
    return Clients(world.clients.s3, world.clients.mwaa, cloudformation=deploy_cfn)


def test_plan_with_env_reads_bucket_and_environment_from_the_stack(world, repo, staged, capsys):
    assert main(["plan", "--env", "staging", "--repo", str(repo)], staged) == 0
    out = capsys.readouterr().out
    assert world.environment in out and "plugins.zip" in out


def test_a_promoted_environment_refuses_to_deploy_from_the_tree(world, repo, staged, capsys):
    production = environments.load(repo, "production")
    cfn = _client("cloudformation", world.endpoints["s3"])  # set-up key: not DeployRole's
    outputs = {"MwaaBucket": "never-touched", "MwaaEnvironmentName": "never-touched"}
    cfn.create_stack(StackName=production.stack, TemplateBody=outputs_template(outputs))
    clients = Clients(world.clients.s3, world.clients.mwaa, cloudformation=cfn)
    assert main(["deploy", "--env", "production", "--repo", str(repo)], clients) == 1
    err = capsys.readouterr().err
    assert "environment production is promoted from staging" in err
    assert "python -m deploy export --env staging --out DIR" in err and "--from DIR" in err
    assert world.recorder.writes == 0


def test_an_unknown_environment_names_its_file_and_the_known_ones(repo, capsys):
    write_environments(repo, staging={"stack": "acme-staging"})
    assert main(["plan", "--env", "qa", "--repo", str(repo)], Clients(None, None)) == 1
    err = capsys.readouterr().err
    assert "infra/environments/qa.json does not exist (environments: staging)" in err


@pytest.mark.parametrize(
    "second,clash",
    [
        ({"stack": "acme"}, "stacks acme (a) and acme (b)"),
        ({"stack": "acme-eu"}, "stacks acme (a) and acme-eu (b)"),
        ({"stack": "other", "parameters": {"GitHubEnvironment": "x"}}, "GitHubEnvironment of"),
        ({"stack": "other", "promote_from": "qa"}, "promoted from unknown environment qa"),
        ({"stack": "Acme_Eu"}, "must match"),
    ],
)
def test_environments_that_would_share_resources_are_refused(repo, second, clash):
    write_environments(repo, a={"stack": "acme", "parameters": {"GitHubEnvironment": "x"}})
    write_environments(repo, b=second)
    with pytest.raises(DeployError, match=clash.replace("(", r"\(").replace(")", r"\)")):
        environments.load_all(repo)


def test_infra_env_gives_the_stack_and_parameters_the_command_line_overrides(repo):
    write_environments(
        repo,
        staging={"stack": "acme-staging", "parameters": {"DeployEnv": "staging", "Size": "1"}},
    )
    args = argparse.Namespace(env="staging", stack=None, repo=repo)
    defaults = infra_cli.environment_parameters(args)
    assert args.stack == "acme-staging"
    parameters = read_parameters(None, ["Size=2"], defaults)
    assert {p["ParameterKey"]: p["ParameterValue"] for p in parameters} == {
        "DeployEnv": "staging",
        "Size": "2",
    }
    args = argparse.Namespace(env="staging", stack="other", repo=repo)
    with pytest.raises(DeployError, match="environment staging's stack is acme-staging"):
        infra_cli.environment_parameters(args)


# ------------------------------------------------------------------ both stacks in moto
def test_staging_and_production_stacks_coexist_in_one_account(local_aws):
    """infra/pipelines.yaml, whole, created twice in one account and region through
    `deploy infra apply`'s own code (the emulation knows every resource type): every
    resource is created, and no physical name is shared."""
    from devkit.run.local_stack import apply_stack

    cfn = local_aws.client("cloudformation")
    created = {}
    for name in ("staging", "production"):
        env = environments.load(REPO, name)
        parameters = {k: v for k, v in env.parameters.items() if k != "CreateGitHubOidcProvider"}
        apply_stack(local_aws, env.stack, parameters)  # reuses the account's OIDC provider
        (stack,) = cfn.describe_stacks(StackName=env.stack)["Stacks"]
        # Over the inline limit: created with its MwaaBucket, then updated to the template.
        assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
        # (moto's DescribeStackResources drops the logical id of what an update added)
        listed = cfn.list_stack_resources(StackName=env.stack)["StackResourceSummaries"]
        conditional = {"DataHubImageCache", "GitHubOidcProvider"}  # off by parameter
        assert set(template()["Resources"]) - {r["LogicalResourceId"] for r in listed} <= (
            conditional
        )
        # moto gives policies (of a bucket, inline in a role) no physical id: no name to share
        created[name] = {r["PhysicalResourceId"] for r in listed if r.get("PhysicalResourceId")}
    assert not created["staging"] & created["production"]
