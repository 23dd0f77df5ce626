"""`python -m deploy up --sample-night` on the emulation: every step, as production's.

The steps come from deploy/up/command.py and run unchanged, as the set-up principal
(the bootstrap administrator, docs/iam_check.md), against the emulated AWS and the
fake MWAA endpoint (devkit/emulator/standins/fake_mwaa.py). What the emulation adds is
plumbing, never a step of its own (`ON_THE_EMULATION`): the subnets pre-flight checks
are made in the emulated EC2 first, as a person would make them (or `--network`);
the deploy runs as the deploy role CI deploys with, so its policy is proven; MWAA's
Airflow is answered by local Airflow over dags/; the run's own parse of dags/ stands
in for the deploy's validation command and the settings step's parse. The first runs
the unpause and trigger queue on that Airflow are what the run layer executes
(`triggered`, devkit/run/pipelines.py): the first night.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from devkit.paths import DAGS_DIR, REPO

# What the emulation does its own way around deploy up's steps, and why.
ON_THE_EMULATION = {
    "network stack": "the emulated EC2's subnets are made before pre-flight (no --network)",
    "deploy": "as the deploy role (CI's deploys): its policy is checked; the run's own "
    "parse of dags/ is the validation",
    "settings": "the DAGs' Variables and Connections from the run's own parse of dags/",
    "first runs": "queued on the emulated MWAA's Airflow; the run executes them",
}
# The emulated VPC's subnets: two for MWAA, three (three AZs) for Redshift Serverless.
ZONES = ("a", "b", "c")
DEPLOY_ROLE = "DeployRole"
# A test's stack without a night (a pipeline's resources and settings, nothing to run on
# MWAA) stops after the bootstrap: these steps need the deployed DAGs and a first night.
AFTER_THE_STACK = ("deploy", "sample night", "unpause", "first runs", "readiness")


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


def mwaa_client(aws, url: str, principal: str):
    """MWAA's API on the fake endpoint, signing as `principal`. The fake is not moto, so
    its calls are recorded from the client side, as moto's are (devkit/iam/recorder.py)."""
    import boto3
    from botocore.config import Config

    from devkit.emulator.server import FAKE_KEY
    from devkit.iam import recorder

    client = boto3.client(
        "mwaa",
        endpoint_url=url,
        region_name=aws.region,
        aws_access_key_id=recorder.access_key(principal),
        aws_secret_access_key=FAKE_KEY,
        config=Config(inject_host_prefix=False),
    )

    def record(params, model, **_):
        recorder.record_call(principal, "mwaa", model.name, params, aws.region)

    client.meta.events.register("before-parameter-build.mwaa", record)
    return client


def clients(aws, mwaa_url: str, principal: str | None = None):
    """The deploy tool's clients on the emulation, signing as `principal` (by default
    the bootstrap administrator; recorded and checked: `check_set_up`)."""
    from deploy.aws import Clients
    from devkit.iam.recorder import ADMINISTRATOR

    principal = principal or ADMINISTRATOR

    def made(service: str):
        return aws.client(service, principal=principal)

    return Clients(
        s3=made("s3"),
        mwaa=mwaa_client(aws, mwaa_url, principal),
        cloudformation=made("cloudformation"),
        secretsmanager=made("secretsmanager"),
        redshift_data=made("redshift-data"),
        made={s: made(s) for s in ("sts", "ec2", "iam")},
    )


@contextmanager
def mwaa_endpoint():
    """The fake MWAA endpoint of this process (where the stack's environment lives),
    served on loopback for one `up`; its URL."""
    from devkit.emulator.standins import fake_mwaa

    server, url = fake_mwaa.start(fake_mwaa.process_fake())
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def argv(aws, stack: str | None, parameters: dict[str, str], night: Path | None, day) -> list:
    """`deploy up --env local` (or, for a test's own stack, `--stack` with local's
    parameters), the emulated subnets, and `--sample-night DIR --sample-day DAY`."""
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
    if stack and stack != local.stack:  # a test's: its own warehouse database too
        given.setdefault("RedshiftDatabaseName", f"dev_{stack}")
        chosen = ["--stack", stack] + [f"--parameter={k}={v}" for k, v in local.parameters.items()]
    else:
        chosen = ["--env", "local"]
    sample = ["--sample-night", str(night), "--sample-day", day.isoformat()] if night else []
    return ["up", "--repo", str(REPO), "--region", aws.region, "--poll-interval", "0"] + (
        chosen + [f"--parameter={k}={v}" for k, v in given.items()] + sample
    )


def sample_night(day: date, scale: float, into: Path) -> Path:
    """The night's sample extracts as files (what `--sample-night` without DIR generates
    in a subprocess), generated in this process at the run's --scale."""
    from deploy.sample_data.night import night_objects

    for key, body in night_objects(day, scale).items():
        path = into / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return into


def up(
    aws,
    stack: str | None = None,
    parameters: dict | None = None,
    say: Callable = print,
    night: date | None = None,
    scale: float = 1.0,
    catalog: dict | None = None,
) -> dict[str, str]:
    """Every step of `deploy up` on the emulation (with `night`: `--sample-night` of that
    night, its first runs queued: `triggered`); the stack's outputs. Idempotent, as
    deploy up is: a second call changes nothing. A test's `stack` without a night stops
    before `AFTER_THE_STACK`. `catalog`: the run's own parse of dags/
    (else this process's, parsed once)."""
    from deploy.up import cli, command
    from deploy.up.run import Run
    from devkit.run.local_stack import dag_catalog

    catalog = catalog if catalog is not None else dag_catalog()
    top = argparse.ArgumentParser(prog="python -m deploy")  # deploy up's flags alone
    cli.add_parser(top.add_subparsers(dest="command", required=True), aws.region)
    with mwaa_endpoint() as url, tempfile.TemporaryDirectory(prefix="sample-night-") as tmp:
        extracts = sample_night(night, scale, Path(tmp)) if night else None
        args = top.parse_args(argv(aws, stack, parameters or {}, extracts, night))
        parsed = f"the run's own parse of dags/: {len(catalog)} DAG(s)"
        options = dataclasses.replace(cli.options_from(args), validate_command=parsed)
        run = Run(options, clients(aws, url), say, usage=lambda _: usage(catalog))
        run.validate = lambda *_: (True, "no import error")  # else the parse raised
        order = _steps(aws, url)
        if stack and night is None:
            order = tuple(step for step in order if step[0] not in AFTER_THE_STACK)
        command.up(run, order)
    for name, how in ON_THE_EMULATION.items():
        say(f"      on the emulation: {name}: {how}")
    return run.outputs


def _steps(aws, url: str) -> tuple:
    """deploy up's steps, the deploy's calls signed as the deploy role."""
    from deploy.up import command, steps

    def deploy(run) -> str:
        serve(run.outputs["MwaaEnvironmentName"])
        as_deploy_role = dataclasses.replace(run, clients=clients(aws, url, DEPLOY_ROLE))
        return steps.step_deploy(as_deploy_role)

    return tuple((name, deploy if name == "deploy" else step) for name, step in command.STEPS)


def serve(environment: str) -> None:
    """The environment's Airflow (InvokeRestApi's answers): local Airflow over dags/, the
    files the deploy ships, as MWAA's scheduler parses what its S3 sync copied. Once:
    its paused flags and runs persist across reruns, as an environment's do."""
    from devkit.emulator.standins import fake_mwaa

    fake = fake_mwaa.process_fake()
    if environment not in fake.airflow:
        fake.serve_dags(environment, DAGS_DIR)


def usage(catalog: dict):
    """What the DAGs use (deploy/dag_usage.py's report) from the run's own parse."""
    from deploy.dag_usage import DagUsage
    from deploy.dags.usage import report

    return DagUsage.from_report(report(catalog))


def triggered(environment: str) -> list[tuple[str, date, dict]]:
    """The runs queued on the environment's Airflow and not yet run: (dag_id, the night
    of its data interval, the run as the REST API holds it, for its state)."""
    from devkit.emulator.standins import fake_mwaa

    api = fake_mwaa.process_fake().airflow.get(environment)
    runs = [r for r in (api.runs if api else []) if r["state"] == "queued"]
    return [(r["dag_id"], _night(r), r) for r in runs]


def _night(run: dict) -> date:
    """The night a run covers: its data interval's start (given by deploy up's first
    runs); else the interval Airflow infers, the day before its logical date."""
    from datetime import timedelta

    if run.get("data_interval_start"):
        return datetime.fromisoformat(run["data_interval_start"]).date()
    return datetime.fromisoformat(run["logical_date"]).date() - timedelta(days=1)


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


def check_set_up(records, aws, stack: str, outputs: dict[str, str]):
    """Every access of deploy up: the administrator's (`check_administrator`) and the
    deploy role's, against the deploy role's policy in the stack's template."""
    from devkit.iam.check import check
    from devkit.iam.policies import policies_for, stack_resources

    names = {"MwaaBucket": outputs["MwaaBucket"], "MwaaEnvironment": outputs["MwaaEnvironmentName"]}
    resources = stack_resources(aws.account_id, aws.region, stack, names=names, ids={})
    deploys = [r for r in records if getattr(r, "principal", None) == DEPLOY_ROLE]
    report = check_administrator(records)
    report.merge(check(deploys, policies_for(resources, principals=(DEPLOY_ROLE,))))
    return report


def stack_settings(aws, outputs: dict[str, str]):
    """The Variables and Connections `deploy infra settings` wrote for the stack, and
    Airflow's secrets backend as the template configures it (devkit/run/local_stack.py)."""
    import json

    from devkit.run.local_env import StackSettings
    from devkit.run.local_stack import secrets_backend

    secrets = aws.client("secretsmanager")
    variables = written(secrets, outputs["AirflowVariablesPrefix"])
    connections = written(secrets, outputs["AirflowConnectionsPrefix"])
    path, kwargs = secrets_backend(aws, outputs["MwaaEnvironmentName"])
    parsed = {conn_id: json.loads(value) for conn_id, value in connections.items()}
    return StackSettings(variables, parsed, path, kwargs)


def written(secrets, prefix: str) -> dict[str, str]:
    """The secrets under `<prefix>/`: name without the prefix -> value (BatchGetSecretValue:
    twenty per call rather than a call per secret)."""
    found: dict[str, str] = {}
    more: dict[str, str] = {}
    while True:
        page = secrets.batch_get_secret_value(
            Filters=[{"Key": "name", "Values": [prefix + "/"]}], MaxResults=20, **more
        )
        for secret in page["SecretValues"]:
            if secret["Name"].startswith(prefix + "/"):
                found[secret["Name"][len(prefix) + 1 :]] = secret["SecretString"]
        if not page.get("NextToken"):
            return found
        more = {"NextToken": page["NextToken"]}


def new_stack_name() -> str:
    """A test's own stack: unique in the emulated account, a valid workgroup name."""
    import uuid

    return f"t{uuid.uuid4().hex[:10]}"


def pipeline_on_stack(
    aws, stack: str | None = None, scale: float = 1.0, domains=None, night=None, catalog=None
):
    """A stack by `deploy up`'s own steps (the `local` environment's, or a test's own
    `stack` with its own Redshift database; with `night`, its sample night landed and
    first runs queued: `triggered`), then a LocalPipeline on it: the stack's names,
    roles and settings, and what the domains add."""
    from devkit.iam.recorder import LOG, use_stack_roles
    from devkit.run.local_env import LocalPipeline, StackNames

    mark = LOG.mark()
    say = _quiet if stack and night is None else print  # a night's to the run's log
    outputs = up(aws, stack, say=say, night=night, scale=scale, catalog=catalog)
    name = outputs["MwaaEnvironmentName"]
    checked = check_set_up(LOG.since(mark), aws, name, outputs)
    if not checked.ok:  # every call of deploy up is a named IAM action its principal may make
        raise RuntimeError("deploy up's accesses: " + "; ".join(checked.problems()))
    roles = {logical: role for role, logical in role_logical_ids(aws, name).items()}
    if stack is None:  # the run command's (and serve's) one stack: for the whole process,
        use_stack_roles(roles)  # `--ui`'s and a shell's runs included
    names = StackNames.of(outputs, tag=stack or "")
    return LocalPipeline(aws, names, stack_settings(aws, outputs), roles, scale, domains)


def _quiet(line: str) -> None:
    """A test's stack: deploy up's progress lines would only fill the test's output."""
