"""`python -m deploy up`'s own steps on the emulation: the stack of an environment made
the way production's is, from an empty moto account.

The steps come from deploy/up/command.py and run unchanged, as the set-up principal
(the bootstrap administrator, docs/iam_check.md); only the steps with no local meaning
are left out, each with its reason (`SKIPPED_LOCALLY`). The subnets pre-flight checks
are made in the emulated EC2 first, as a person would make them (or `--network`).
"""

from __future__ import annotations

import argparse
from typing import Callable

from devkit.paths import REPO

# deploy up's steps the emulation leaves out, and why (the rest run as on AWS).
SKIPPED_LOCALLY = {
    "network stack": "the emulated EC2's subnets stand in for it (made before pre-flight)",
    "deploy": "the local run parses dags/ from the checkout; the deploy's own path "
    "(upload, MWAA's confirmation) is tested in tests/deploy/test_deploy_up_emulated.py",
    "sample night": "each domain lands its nights at --scale (devkit/domains/)",
    "unpause": "dag.test() runs a DAG whatever its pause flag",
    "first runs": "the local run triggers the DAGs itself, in Asset order",
    "readiness": "it reads MWAA's parsed DAGs; the local run prints its own summary",
}
# The emulated VPC's subnets: two for MWAA, three (three AZs) for Redshift Serverless.
ZONES = ("a", "b", "c")


def subnets(ec2, region: str) -> list[str]:
    """Three subnets in three AZs of one VPC (made once per emulation)."""
    tag = {"Key": "Name", "Value": "local-emulation"}
    found = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [tag["Value"]]}])
    if found["Subnets"]:
        ordered = sorted(found["Subnets"], key=lambda s: s["AvailabilityZone"])
        return [s["SubnetId"] for s in ordered]
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    made = []
    for n, zone in enumerate(ZONES):
        subnet = ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.99.{n}.0/24", AvailabilityZone=f"{region}{zone}"
        )["Subnet"]["SubnetId"]
        ec2.create_tags(Resources=[subnet], Tags=[tag])
        made.append(subnet)
    return made


def clients(aws):
    """The deploy tool's clients on the emulation, signing as the bootstrap administrator
    (recorded and checked: `check_administrator`)."""
    from deploy.aws import Clients
    from devkit.iam.recorder import ADMINISTRATOR

    def made(service: str):
        return aws.client(service, principal=ADMINISTRATOR)

    return Clients(
        s3=made("s3"),
        mwaa=None,
        cloudformation=made("cloudformation"),
        secretsmanager=made("secretsmanager"),
        redshift_data=made("redshift-data"),
        made={s: made(s) for s in ("sts", "ec2", "iam")},
    )


def argv(aws, stack: str | None, parameters: dict[str, str]) -> list[str]:
    """`deploy up --env local` (or, for a test's own stack, `--stack` with local's
    parameters) plus the emulated subnets."""
    from deploy.environments import load

    local = load(REPO, "local")
    ids = subnets(aws.client("ec2"), aws.region)  # a person's (or --network's) doing
    given = {
        "GitHubRepository": "local/pipelines",
        "PrivateSubnetIds": ",".join(ids[:2]),
        "RedshiftSubnetIds": ",".join(ids),
        "SecurityGroupIds": "sg-local",
        **parameters,
    }
    if stack and stack != local.stack:
        chosen = ["--stack", stack] + [f"--parameter={k}={v}" for k, v in local.parameters.items()]
    else:
        chosen = ["--env", "local"]
    return ["up", "--repo", str(REPO), "--region", aws.region, "--poll-interval", "0"] + (
        chosen + [f"--parameter={k}={v}" for k, v in given.items()]
    )


def up(
    aws, stack: str | None = None, parameters: dict | None = None, say: Callable = print
) -> dict[str, str]:
    """deploy up's steps but `SKIPPED_LOCALLY` on the emulation; the stack's outputs.
    Idempotent, as deploy up is: a second call changes nothing."""
    from deploy.up import cli, command
    from deploy.up.run import Run

    top = argparse.ArgumentParser(prog="python -m deploy")  # deploy up's flags alone
    cli.add_parser(top.add_subparsers(dest="command", required=True), aws.region)
    args = top.parse_args(argv(aws, stack, parameters or {}))
    run = Run(cli.options_from(args), clients(aws), say)
    order = tuple(step for step in command.STEPS if step[0] not in SKIPPED_LOCALLY)
    command.up(run, order)
    for name, why in SKIPPED_LOCALLY.items():
        say(f"      not on the emulation: {name}: {why}")
    return run.outputs


def role_logical_ids(aws, stack: str) -> dict[str, str]:
    """The stack's roles: physical name -> logical id (the recorder knows principals by
    logical id; CloudFormation names the roles it makes after the stack)."""
    from devkit.iam.policies import template

    roles = {k for k, r in template()["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    resources = aws.client("cloudformation").describe_stack_resources(StackName=stack)
    return {
        r["PhysicalResourceId"]: r["LogicalResourceId"]
        for r in resources["StackResources"]
        if r.get("LogicalResourceId") in roles  # moto leaves it out of what it cannot model
    }


# The bootstrap identity (whoever runs `deploy up` in an empty account) holds AWS's
# managed AdministratorAccess: it creates the roles everything else then uses.
ADMINISTRATOR_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def check_administrator(records):
    """The administrator's accesses against AdministratorAccess: each must map to an IAM
    action (an unmapped call fails the report) and is evaluated like a role's."""
    from devkit.iam.check import check
    from devkit.iam.recorder import ADMINISTRATOR

    mine = [r for r in records if getattr(r, "principal", None) == ADMINISTRATOR]
    return check(mine, {ADMINISTRATOR: [ADMINISTRATOR_ACCESS]}, principals=[ADMINISTRATOR])


# Connections the emulation answers its own way, so Airflow must not take the stack's:
# the SQL check operators' Redshift connection is PostgreSQL, not IAM authentication
# to a workgroup endpoint (redshift_connector speaks Redshift's dialect of the protocol).
EMULATION_CONNECTIONS = ("redshift_default",)


def stack_settings(aws, outputs: dict[str, str]):
    """The Variables `deploy infra settings` wrote for the stack, and the environment
    that points Airflow's secrets backend at them (devkit/run/local_stack.py)."""
    import json

    from devkit.run.local_env import StackSettings
    from devkit.run.local_stack import secrets_backend

    secrets = aws.client("secretsmanager")
    variables = written(secrets, outputs["AirflowVariablesPrefix"])
    connections = set(written(secrets, outputs["AirflowConnectionsPrefix"]))
    path, kwargs = secrets_backend(aws, outputs["RedshiftWorkgroup"])
    # Only what the settings step wrote is asked for (what else a task looks up, e.g.
    # the lineage switch, no stack writes: asking would only miss, on MWAA too).
    kwargs["variables_lookup_pattern"] = _exactly(variables)
    kwargs["connections_lookup_pattern"] = _exactly(connections - set(EMULATION_CONNECTIONS))
    backend = {
        "AIRFLOW__SECRETS__BACKEND": path,
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps(kwargs),
    }
    return StackSettings(variables, backend)


def written(secrets, prefix: str) -> dict[str, str]:
    """The secrets under `<prefix>/`: name without the prefix -> value."""
    found = {}
    for page in secrets.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": [prefix + "/"]}]
    ):
        for secret in page["SecretList"]:
            if secret["Name"].startswith(prefix + "/"):
                value = secrets.get_secret_value(SecretId=secret["Name"])["SecretString"]
                found[secret["Name"][len(prefix) + 1 :]] = value
    return found


def _exactly(names) -> str:
    import re

    return "^(" + "|".join(re.escape(n) for n in sorted(names)) + ")$"


def pipeline_on_stack(aws, scale: float = 1.0, domains=None):
    """The `local` environment's stack by `deploy up`'s own steps, then a LocalPipeline
    on it: the stack's names, roles and settings, and what the domains add."""
    from devkit.iam.recorder import LOG, use_stack_roles
    from devkit.run.local_env import LocalPipeline, StackNames

    mark = LOG.mark()
    outputs = up(aws)  # its progress lines go to the run's log
    checked = check_administrator(LOG.since(mark))
    if not checked.ok:  # every call of the administrator is a named, allowed IAM action
        raise RuntimeError("deploy up's administrator: " + "; ".join(checked.problems()))
    roles = role_logical_ids(aws, outputs["RedshiftWorkgroup"])
    use_stack_roles({logical: name for name, logical in roles.items()})
    settings = stack_settings(aws, outputs)
    return LocalPipeline(aws, StackNames.of(outputs), scale, domains, settings)
