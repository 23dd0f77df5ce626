"""`deploy up` on the emulation, from an empty moto account, with the real infra/pipelines.yaml.

The emulation creates every resource of the template through CloudFormation
(devkit/emulator/cloudformation/resources.py), Redshift Serverless's database on PostgreSQL,
and MWAA's InvokeRestApi is answered by local Airflow over the DAGs the deploy
shipped (devkit/airflow/rest_api.py). Only the DAG validation (the gate's own
tests) is injected.
"""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from deploy.aws import Clients
from deploy.up import command
from deploy.up.run import Options, Run
from devkit.emulator.standins import fake_mwaa
from devkit.paths import REPO
from lakehouse.conventions import Var
from tests.deploy.conftest import passed

NIGHT = date(2026, 12, 6)
CLOCK_SCHEDULED = {"tickit__redshift_load", "data_lake__bronze"}


@pytest.fixture(scope="module")
def emulated(local_aws):
    """One `deploy up --sample-night` on the emulation; (run, lines, printed). Its stack
    names every resource after itself, so it shares none with the local pipelines."""
    yield from _emulated(local_aws)


def _emulated(local_aws):
    fake = fake_mwaa.process_fake()
    server, url = fake_mwaa.start(fake)
    ec2 = local_aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.21.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.21.{n}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for n, z in enumerate("abc")
    ]
    clients = Clients(
        s3=local_aws.client("s3"),
        mwaa=_mwaa_client(url),
        cloudformation=local_aws.client("cloudformation"),
        secretsmanager=local_aws.client("secretsmanager"),
        redshift_data=local_aws.client("redshift-data"),
        made={s: local_aws.client(s) for s in ("sts", "ec2", "iam")},
    )
    project = f"up{uuid.uuid4().hex[:6]}"
    options = Options(
        repo=REPO,
        stack=project,
        region="us-east-1",
        parameters={
            "GitHubEnvironment": "test",
            "GitHubRepository": "owner/fork",
            "PrivateSubnetIds": ",".join(subnets[:2]),
            "RedshiftSubnetIds": ",".join(subnets),
            "SecurityGroupIds": "sg-local",
            "RedshiftDatabaseName": f"dev_{project}",
        },
        poll_interval=0,
        timeout=120,
        sample_night=True,
        sample_day=NIGHT,
        confirm_timeout=60,
    )
    printed: list[str] = []
    run = Run(options, clients, printed.append, validate=passed)
    serve = ("serve the DAGs", lambda r: _serve(fake, r))
    order = command.STEPS[:4] + (serve,) + command.STEPS[4:]
    try:
        lines = command.up(run, order)
        yield run, lines, "\n".join(printed)
    finally:
        server.shutdown()
        # fixed names (Glue databases, crawlers): one pipelines stack per account and region
        clients.cloudformation.delete_stack(StackName=project)


def _mwaa_client(url: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "mwaa",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # pragma: allowlist secret (moto's dummy)
        config=Config(inject_host_prefix=False),
    )


def _serve(fake, run) -> str:
    """MWAA's scheduler parses what its S3 sync copied from the bucket's dags/."""
    fake.serve_dags(run.environment, REPO / "dags")
    return "local Airflow parses dags/"


def test_every_step_ran_and_the_stack_holds_every_resource(emulated):
    run, lines, printed = emulated
    names = [line.split(":")[0] for line in lines]
    assert names[:5] == [
        "pre-flight",
        "repair",
        "network stack",
        "pipelines stack",
        "serve the DAGs",
    ]
    assert names[5:] == [n for n, _ in command.STEPS[4:]]
    # Over the inline limit: the new stack gets its MwaaBucket first, then the template
    # through that bucket (an update of the stack just created).
    assert lines[3].endswith("UPDATE_COMPLETE")
    assert "gets its MwaaBucket first, to hold it" in printed
    assert "DataHub: no server configured" in printed


def test_every_variable_the_dags_read_is_a_secret_from_the_outputs(emulated, local_aws):
    run, _, _ = emulated
    secrets = local_aws.client("secretsmanager")
    for name in (Var.LANDING_BUCKET, Var.REDSHIFT_WORKGROUP, Var.DATAHUB_GMS_URL):
        prefix = run.outputs["AirflowVariablesPrefix"]  # the stack's own
        value = secrets.get_secret_value(SecretId=f"{prefix}/{name.value}")
        key = "".join(p[:1].upper() + p[1:] for p in name.value.split("_"))
        assert value["SecretString"] == run.outputs[key]
    prefix = run.outputs["AirflowConnectionsPrefix"]
    connection = secrets.get_secret_value(SecretId=f"{prefix}/redshift_default")
    assert json.loads(connection["SecretString"])["extra"]["is_serverless"] is True


def test_the_sample_night_is_landed_and_its_runs_started(emulated, local_aws):
    run, lines, _ = emulated
    landing = run.outputs["LandingBucket"]
    head = local_aws.client("s3").head_object(
        Bucket=landing, Key=f"tickit/sales/ds={NIGHT}/_SUCCESS"
    )
    assert head["ContentLength"] == 0
    api = fake_mwaa.process_fake().airflow[run.environment]
    assert {r["dag_id"] for r in api.runs} == CLOCK_SCHEDULED
    assert {r["logical_date"] for r in api.runs} == {f"{NIGHT}T00:00:00+00:00"}
    assert set(api.paused.values()) == {False}


def test_the_bootstrap_made_the_pipeline_and_datahub_users(emulated, local_aws):
    run, lines, _ = emulated
    role = run.outputs["MwaaExecutionRoleArn"].rsplit("/", 1)[-1]
    conn = local_aws.postgres.connect(run.outputs["RedshiftDatabase"])
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT usename FROM pg_user")
            users = {row[0] for row in cur.fetchall()}
    finally:
        conn.close()
    assert {f"IAMR:{role}", "datahub_ingestion"} <= users
    assert any(line.startswith("database bootstrap: 3 SQL file(s) applied") for line in lines)
