"""What a stack of infra/pipelines.yaml on the emulation is made of, asked of the
emulated CloudFormation itself.

`deploy up`'s own steps create the stack (devkit/run/local_up.py); every local pipeline,
the run command's and each test's, then takes its names from it: logical id -> physical
id from ListStackResources and each `Fn::GetAtt` the template uses from the stack's
resources (`resources_of`), as the IAM check resolves the roles' policies with it.
Nothing here names a resource by hand. Airflow reads the Variables and Connections the
settings step wrote through the secrets backend the template configures on MWAA
(`secrets_backend`).
"""

from __future__ import annotations

from functools import cache

from devkit.iam import recorder
from devkit.iam.infra_policies import INFRA_DIR, NAME_PROPERTY, SUB_PLACEHOLDER, Resolver
from devkit.iam.policies import template
from devkit.paths import REPO

# Parameters the template needs that have no meaning on the emulation.
EMULATED_NETWORK = {
    "PrivateSubnetIds": "subnet-local-a,subnet-local-b",
    "RedshiftSubnetIds": "subnet-local-a,subnet-local-b,subnet-local-c",
    "SecurityGroupIds": "sg-local",
    "GitHubRepository": "local/pipelines",
}


def deploy_clients(aws):
    """The deploy tool's clients on the emulation, as the set-up principal (the admin)."""
    from deploy.aws import Clients

    return Clients(
        s3=aws.client("s3"),
        mwaa=None,
        cloudformation=aws.client("cloudformation"),
        secretsmanager=aws.client("secretsmanager"),
        redshift_data=aws.client("redshift-data"),
    )


def apply_stack(aws, stack: str, parameters: dict[str, str]) -> dict[str, str]:
    """infra/pipelines.yaml applied by `deploy up`'s own stack step code (through
    `python -m deploy infra apply`); the stack's outputs."""
    from deploy import airflow_settings
    from deploy.up import stacks
    from deploy.up.preflight import oidc_parameter
    from deploy.up.run import Options

    # As deploy up's pre-flight: GitHub's OIDC provider is one per account (other
    # stacks of this emulation may have made it).
    oidc = oidc_parameter(aws.client("iam"))
    values = {**EMULATED_NETWORK, "GitHubEnvironment": stack, **oidc, **parameters}
    options = Options(repo=REPO, stack=stack, region=aws.region, poll_interval=0.0, timeout=60.0)
    clients = deploy_clients(aws)
    template = INFRA_DIR / "pipelines.yaml"
    stacks.apply(clients, stack, template, values, options, lambda line: None)
    return airflow_settings.stack_outputs(clients.cloudformation, stack)


@cache
def dag_catalog() -> dict:
    """The DAGs of this checkout (deploy/dags/catalog.py), parsed once per process: what
    the settings step asks of them and what stands in for the deploy's validation, for
    every stack of the process (a test's each) instead of a cold Airflow start per stack."""
    from deploy.dags.catalog import discover
    from devkit.paths import DAGS_DIR

    return discover(DAGS_DIR)


def physical_ids(aws, stack: str, cfn=None) -> dict[str, tuple[str, str]]:
    """Logical id -> (type, physical id) of every resource CloudFormation made.
    (ListStackResources: moto's DescribeStackResources drops the logical id of resources
    an update added.)"""
    found = {}
    pages = (cfn or aws.client("cloudformation")).get_paginator("list_stack_resources")
    for page in pages.paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            if resource.get("PhysicalResourceId"):
                found[resource["LogicalResourceId"]] = (
                    resource["ResourceType"],
                    resource["PhysicalResourceId"],
                )
    return found


def name_in(kind: str, physical_id: str) -> str:
    """A resource's name from its physical id (Ref), for the types whose Ref is an ARN."""
    if kind == "AWS::SecretsManager::Secret":  # `...:secret:<name>-<6 random characters>`
        return physical_id.split(":secret:", 1)[1][:-7]
    if kind == "AWS::ECS::TaskDefinition":  # `...:task-definition/<family>:<revision>`
        return physical_id.rsplit("/", 1)[1].rsplit(":", 1)[0]
    if kind in ("AWS::SNS::Topic", "AWS::IAM::ManagedPolicy"):
        return physical_id.rsplit(":", 1)[1].rsplit("/", 1)[-1]
    return physical_id


def attributes_used() -> set[tuple[str, str]]:
    """(logical id, attribute) of every `Fn::GetAtt` and `${X.Attr}` in the template."""
    found: set[tuple[str, str]] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Fn::GetAtt":
                    parts = value.split(".", 1) if isinstance(value, str) else value
                    if isinstance(parts[1], str):
                        found.add((parts[0], parts[1]))
                elif key == "Fn::Sub":
                    text = value if isinstance(value, str) else value[0]
                    for literal, name in SUB_PLACEHOLDER.findall(text):
                        if not literal and "." in name and "::" not in name:
                            found.add(tuple(name.split(".", 1)))  # type: ignore[arg-type]
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(template()["Resources"])
    return found


def stack_attributes(aws, stack: str, made) -> dict[str, str]:
    """`X.Attr` -> what `Fn::GetAtt` answers on the emulated stack. The API has no
    GetAtt: the stack's own resource objects (moto's CloudFormation) answer it. A role's
    `RoleId` is the recorder's (the sessions it records claim it: devkit/iam/recorder.py)."""
    from moto.cloudformation.models import cloudformation_backends

    resources = cloudformation_backends[aws.account_id][aws.region].get_stack(stack).resource_map
    found = {}
    for logical_id, attribute in attributes_used():
        if logical_id not in made:
            continue  # a type moto's CloudFormation skips: the resolver's sample stands
        if attribute == "RoleId":
            found[f"{logical_id}.RoleId"] = recorder.role_id(logical_id)
        else:
            value = resources[logical_id].get_cfn_attribute(attribute)
            found[f"{logical_id}.{attribute}"] = as_cloudformation(made[logical_id][0], value)
    return found


def as_cloudformation(kind: str, arn):
    """What CloudFormation answers where moto answers otherwise: a log group's `Arn` ends
    with `:*` (AWS::Logs::LogGroup return values, CloudFormation User Guide); moto 5's
    does not, which would deny every log stream the template grants."""
    if kind == "AWS::Logs::LogGroup" and not str(arn).endswith(":*"):
        return f"{arn}:*"
    return arn


def resources_of(aws, stack: str) -> dict[str, str]:
    """What `devkit.iam.policies.policies_for` takes, from the stack itself: its pseudo
    parameters and parameters, each resource's name (logical id -> name) and each
    attribute the template reads."""
    cfn = aws.client("cloudformation")
    made = physical_ids(aws, stack, cfn)
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {
        "AWS::AccountId": aws.account_id,
        "AWS::Region": aws.region,
        "AWS::StackName": stack,
        **{p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters", [])},
        **_names(made),
        **stack_attributes(aws, stack, made),
    }


def stack_names(aws, stack: str) -> dict[str, str]:
    """Logical id -> name of every resource the stack made (roles, buckets, databases,
    crawlers, ...): what the access record writes as `${LogicalId}`. Types with no name
    of their own (a bucket policy is its bucket's) are left out."""
    return _names(physical_ids(aws, stack))


def _names(made: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {
        logical: name_in(kind, physical)
        for logical, (kind, physical) in made.items()
        if kind in NAME_PROPERTY
    }


def secrets_backend(aws, stack: str, principal: str = "MwaaExecutionRole") -> tuple[str, dict]:
    """Airflow's secrets backend as the template configures MWAA (AirflowConfigurationOptions
    secrets.backend and secrets.backend_kwargs), pointed at the emulation and signing as
    the MWAA execution role: (class path, kwargs)."""
    import json

    options = template()["Resources"]["MwaaEnvironment"]["Properties"]
    options = Resolver(template(), values={"AWS::StackName": stack}).resolve(
        options["AirflowConfigurationOptions"]
    )
    kwargs = json.loads(options["secrets.backend_kwargs"])
    kwargs.update(aws.aws_connection(principal=principal)["extra"])
    return options["secrets.backend"], kwargs
