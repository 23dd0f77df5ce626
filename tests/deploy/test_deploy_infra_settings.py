"""`python -m deploy infra settings`: stack outputs -> Airflow Variables/Connections -> secrets.

The stacks are made with CreateStack on moto (which computes Outputs; moto does
not refresh them when it executes a change set). Which settings are needed comes
from the DAGs: faked here for precise cases, and once from the real dags/.
"""

from __future__ import annotations

import json
import shlex
import uuid

import pytest

from deploy.__main__ import main
from deploy.airflow_settings import CONNECTIONS, output_key
from deploy.aws import Clients
from deploy.cloudformation import cli as infra_cli
from deploy.dag_usage import DagUsage
from devkit.iam import recorder as iam_recorder
from devkit.iam.check import check
from devkit.iam.policies import policies_for, stack_resources
from devkit.paths import REPO
from tests.deploy.conftest import CREDENTIALS, DEPLOY_CREDENTIALS, REGION, _client

ENDPOINT = "workgroup.123456789012.us-east-1.redshift-serverless.amazonaws.com"
ROLE_ARN = "arn:aws:iam::123456789012:role/redshift-copy-unload"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:alerts"
CONNECTION_OUTPUTS = {
    "RedshiftCopyUnloadRoleArn": ROLE_ARN,
    "RedshiftWorkgroupEndpoint": ENDPOINT,
    "RedshiftWorkgroupPort": "5439",
    "RedshiftWorkgroup": "pipelines",
    "RedshiftDatabase": "dev",
}
# What the fake DAGs use: two Variables, the three Connections, one Variable declared
# only in the conventions (no DAG id: used outside task arguments).
REPORT = {
    "dags": {
        "tickit__redshift_load": {
            "variables": ["landing_bucket", "redshift_database", "redshift_workgroup"],
            "connections": ["aws_default", "aws_redshift_iam_role", "redshift_default"],
        },
        "data_lake__bronze": {"variables": ["landing_bucket"], "connections": ["aws_default"]},
    },
    "declared": {"variables": ["alerts_sns_topic_arn"], "connections": []},
}


def outputs_template(outputs: dict[str, str]) -> str:
    """A one-topic stack whose Outputs are the given literal values."""
    body = {
        "Resources": {"Anchor": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    return json.dumps(body)


class Settings:
    """A stack with outputs on the shared moto server, and the CLI run against it."""

    def __init__(self, endpoints):
        self.url = endpoints["s3"]
        self.cfn = _client("cloudformation", self.url)
        self.secrets = _client("secretsmanager", self.url)
        # The command runs as DeployRole (CI); set-up and read-back use the set-up key.
        self.clients = Clients(
            s3=None,
            mwaa=None,
            cloudformation=_client("cloudformation", self.url, DEPLOY_CREDENTIALS),
            secretsmanager=_client("secretsmanager", self.url, DEPLOY_CREDENTIALS),
        )
        self.stack = f"settings-{uuid.uuid4().hex[:8]}"
        self.prefix = f"{self.stack}/airflow"  # the stack's own secrets prefixes
        self.mark = iam_recorder.LOG.mark()

    def deploy_role_check(self):
        """The command's calls against DeployRole in infra/pipelines.yaml (this stack
        standing for the pipelines stack)."""
        ids = {"AWS::StackName": self.stack}
        resources = stack_resources(iam_recorder.ACCOUNT_ID, REGION, "local", {}, ids)
        accesses = [a for a in iam_recorder.LOG.since(self.mark) if a.principal == "DeployRole"]
        return check(accesses, policies_for(resources, principals=("DeployRole",)))

    def create(self, outputs: dict[str, str]) -> None:
        """A stack with `outputs` and, as infra/pipelines.yaml's, its secrets prefixes."""
        prefixes = {
            "AirflowVariablesPrefix": f"{self.prefix}/variables",
            "AirflowConnectionsPrefix": f"{self.prefix}/connections",
        }
        body = outputs_template({**prefixes, **outputs})
        self.cfn.create_stack(StackName=self.stack, TemplateBody=body)

    def run(self, *extra: str) -> int:
        return main(["infra", "settings", "--stack", self.stack, *extra], self.clients)

    def secret(self, name: str) -> str:
        return self.secrets.get_secret_value(SecretId=name)["SecretString"]

    def names(self) -> set[str]:
        pages = self.secrets.get_paginator("list_secrets").paginate()
        return {
            s["Name"]
            for p in pages
            for s in p["SecretList"]
            if s["Name"].startswith(self.prefix + "/")
        }

    def forget_all(self) -> None:
        for name in self.names():
            self.secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


@pytest.fixture
def world(endpoints):
    """Secrets are region-wide on the shared server: start and end with none."""
    settings = Settings(endpoints)
    settings.forget_all()
    yield settings
    settings.deploy_role_check().raise_for_problems()
    settings.forget_all()


@pytest.fixture
def fake_dags(monkeypatch):
    monkeypatch.setattr(infra_cli, "discover_usage", lambda repo: DagUsage.from_report(REPORT))


ALL_OUTPUTS = {
    "LandingBucket": "acme-landing",
    "RedshiftDatabase": "dev",
    "RedshiftWorkgroup": "pipelines",
    "AlertsSnsTopicArn": TOPIC_ARN,
    **CONNECTION_OUTPUTS,
}


def test_output_names_follow_the_contract():
    assert output_key("landing_bucket") == "LandingBucket"
    assert output_key("alerts_sns_topic_arn") == "AlertsSnsTopicArn"
    assert output_key("emr_serverless_application_id") == "EmrServerlessApplicationId"


def test_prints_variables_and_connections_from_the_outputs(world, fake_dags, capsys):
    world.create(ALL_OUTPUTS)
    assert world.run() == 0
    out = capsys.readouterr().out
    lines = dict(line.split(" = ", 1) for line in out.splitlines() if " = " in line)
    lines = {k.strip(): v for k, v in lines.items()}
    assert lines["landing_bucket"] == "acme-landing"
    assert lines["alerts_sns_topic_arn"] == TOPIC_ARN
    assert json.loads(lines["aws_default"]) == {
        "conn_type": "aws",
        "extra": {"region_name": REGION},
    }
    assert json.loads(lines["aws_redshift_iam_role"]) == {
        "conn_type": "aws",
        "extra": {"role_arn": ROLE_ARN},
    }
    assert json.loads(lines["redshift_default"]) == {
        "conn_type": "redshift",
        "host": ENDPOINT,
        "port": 5439,
        "schema": "dev",
        "extra": {
            "iam": True,
            "is_serverless": True,
            "serverless_work_group": "pipelines",
            "region": REGION,
        },
    }
    assert world.names() == set()  # printing writes nothing


def test_env_format_is_shell_assignments(world, fake_dags, capsys):
    world.create(ALL_OUTPUTS)
    assert world.run("--format", "env") == 0
    out = capsys.readouterr().out
    values = dict(shlex.split(line)[0].split("=", 1) for line in out.splitlines())
    assert values["AIRFLOW_VAR_LANDING_BUCKET"] == "acme-landing"
    assert json.loads(values["AIRFLOW_CONN_AWS_REDSHIFT_IAM_ROLE"])["extra"] == {
        "role_arn": ROLE_ARN
    }
    assert set(values) == {
        "AIRFLOW_VAR_ALERTS_SNS_TOPIC_ARN",
        "AIRFLOW_VAR_LANDING_BUCKET",
        "AIRFLOW_VAR_REDSHIFT_DATABASE",
        "AIRFLOW_VAR_REDSHIFT_WORKGROUP",
        "AIRFLOW_CONN_AWS_DEFAULT",
        "AIRFLOW_CONN_AWS_REDSHIFT_IAM_ROLE",
        "AIRFLOW_CONN_REDSHIFT_DEFAULT",
    }


def test_apply_writes_secrets_that_mwaas_backend_reads(world, fake_dags, capsys, monkeypatch):
    world.create(ALL_OUTPUTS)
    assert world.run("--apply") == 0
    out = capsys.readouterr().out
    assert f"created   {world.prefix}/variables/landing_bucket" in out
    assert "done: created 7, updated 0, unchanged 0" in out
    assert world.secret(f"{world.prefix}/variables/landing_bucket") == "acme-landing"

    # Read back exactly as MWAA does: the Amazon provider's Secrets Manager backend.
    from airflow.providers.amazon.aws.secrets.secrets_manager import SecretsManagerBackend

    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name.upper(), value)
    backend = SecretsManagerBackend(
        endpoint_url=world.url,
        region_name=REGION,
        variables_prefix=f"{world.prefix}/variables",
        connections_prefix=f"{world.prefix}/connections",
    )
    assert backend.get_variable("alerts_sns_topic_arn") == TOPIC_ARN
    redshift = backend.get_connection("redshift_default")
    assert (redshift.conn_type, redshift.host, redshift.port, redshift.schema) == (
        "redshift",
        ENDPOINT,
        5439,
        "dev",
    )
    assert redshift.password is None and redshift.login is None
    assert redshift.extra_dejson["serverless_work_group"] == "pipelines"
    assert backend.get_connection("aws_redshift_iam_role").extra_dejson == {"role_arn": ROLE_ARN}
    aws = backend.get_connection("aws_default")
    assert aws.conn_type == "aws" and aws.login is None and aws.password is None


def test_a_second_apply_changes_nothing_and_a_changed_output_updates_one(world, fake_dags, capsys):
    world.create(ALL_OUTPUTS)
    assert world.run("--apply") == 0
    capsys.readouterr()
    assert world.run("--apply") == 0
    out = capsys.readouterr().out
    assert "done: created 0, updated 0, unchanged 7" in out
    assert f"unchanged {world.prefix}/connections/redshift_default" in out

    world.cfn.delete_stack(StackName=world.stack)
    world.create({**ALL_OUTPUTS, "LandingBucket": "acme-landing-v2"})
    assert world.run("--apply") == 0
    out = capsys.readouterr().out
    assert f"updated   {world.prefix}/variables/landing_bucket" in out
    assert "done: created 0, updated 1, unchanged 6" in out
    assert world.secret(f"{world.prefix}/variables/landing_bucket") == "acme-landing-v2"


def test_a_missing_output_names_the_variable_its_dags_and_the_key(world, fake_dags, capsys):
    world.create({k: v for k, v in ALL_OUTPUTS.items() if k not in ("LandingBucket",)})
    assert world.run("--apply") == 1
    err = capsys.readouterr().err
    assert (
        "Variable landing_bucket (used by DAG(s) data_lake__bronze, tickit__redshift_load) "
        "needs Output LandingBucket"
    ) in err
    assert "Traceback" not in err
    assert world.names() == set()  # nothing written when anything is missing


def test_missing_connection_outputs_and_unknown_connections_are_named(world, monkeypatch, capsys):
    report = {"dags": {"x__y": {"variables": [], "connections": ["redshift_default", "ftp"]}}}
    monkeypatch.setattr(infra_cli, "discover_usage", lambda repo: DagUsage.from_report(report))
    world.create({"RedshiftWorkgroupEndpoint": ENDPOINT, "RedshiftDatabase": "dev"})
    assert world.run() == 1
    err = capsys.readouterr().err
    assert "Connection ftp (used by DAG(s) x__y) has no recipe" in err
    assert (
        "Connection redshift_default (used by DAG(s) x__y) needs Output(s) "
        "RedshiftWorkgroupPort, RedshiftWorkgroup"
    ) in err


def test_a_stack_that_does_not_exist_is_named(world, fake_dags, capsys):
    assert world.run() == 1
    assert f"stack {world.stack} does not exist" in capsys.readouterr().err


def test_every_setting_the_real_dags_use_maps_to_an_output(world, capsys):
    """The real dags/ (parsed in a subprocess) against a stack with the contract's outputs."""
    from lakehouse.conventions import Var

    outputs = {output_key(v.value): f"value-of-{v.value}" for v in Var}
    outputs.update(CONNECTION_OUTPUTS)
    world.create(outputs)
    assert (
        main(["infra", "settings", "--stack", world.stack, "--repo", str(REPO)], world.clients) == 0
    )
    out = capsys.readouterr().out
    printed = {line.split(" = ")[0].strip() for line in out.splitlines() if " = " in line}
    assert {v.value for v in Var} <= printed  # incl. alerts_sns_topic_arn (the callback's)
    assert {"aws_default", "redshift_default", "aws_redshift_iam_role"} <= printed
    assert printed - {v.value for v in Var} <= set(CONNECTIONS)


def test_env_names_the_stack_and_its_prefixes_take_the_secrets(world, fake_dags, tmp_path, capsys):
    folder = tmp_path / "infra" / "environments"
    folder.mkdir(parents=True)
    (folder / "qa.json").write_text(json.dumps({"stack": world.stack}))
    world.create(ALL_OUTPUTS)
    args = ["infra", "settings", "--env", "qa", "--repo", str(tmp_path), "--apply"]
    assert main(args, world.clients) == 0
    assert world.secret(f"{world.prefix}/variables/landing_bucket") == "acme-landing"
    assert f"created   {world.prefix}/connections/redshift_default" in capsys.readouterr().out
