"""`python -m deploy up` against moto (CloudFormation, S3, Secrets Manager, EC2, IAM, STS),
the fake MWAA endpoint and the Airflow stand-in behind InvokeRestApi.

The stack is a small template of resource types moto's CloudFormation creates, with
the outputs the steps read (the real infra/pipelines.yaml needs the emulation's
resource types). The bootstrap is the contract's function, recorded.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from deploy import redshift_bootstrap
from deploy.aws import Clients
from deploy.cloudformation import change_sets
from deploy.dag_usage import DagUsage
from deploy.up import command
from deploy.up.run import Options, Run
from tests.deploy.airflow_standin import StandInAirflow
from tests.deploy.conftest import REGION, REPO_FILES, _client, passed, write_tree

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  ProjectName: {Type: String}
  GitHubRepository: {Type: String}
  PrivateSubnetIds: {Type: CommaDelimitedList}
  SecurityGroupIds: {Type: CommaDelimitedList}
  RedshiftSubnetIds: {Type: CommaDelimitedList, Default: ""}
  CreateGitHubOidcProvider: {Type: String, Default: "true"}
Resources:
  MwaaBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub ${ProjectName}-mwaa
      VersioningConfiguration: {Status: Enabled}
  LandingBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub ${ProjectName}-landing
Outputs:
  MwaaBucket: {Value: !Ref MwaaBucket}
  LandingBucket: {Value: !Ref LandingBucket}
  MwaaEnvironmentName: {Value: !Ref ProjectName}
  DatahubGmsUrl: {Value: none}
  AirflowVariablesPrefix: {Value: !Sub "${ProjectName}/airflow/variables"}
  AirflowConnectionsPrefix: {Value: !Sub "${ProjectName}/airflow/connections"}
"""
CLOCK = ("redshift_demo__initial_load", "data_lake__raw")
NIGHT = {
    "tickit/sales/ds=2026-12-06/part-0000.txt.gz": "rows",
    "tickit/sales/ds=2026-12-06/_SUCCESS": "",
}


class Account:
    """One project in the shared moto account: clients, the stand-ins, what was written."""

    def __init__(self, endpoints, tmp_path: Path, monkeypatch):
        self.name = f"up-{uuid.uuid4().hex[:8]}"
        url = endpoints["s3"]
        self.s3 = _client("s3", url)
        self.ec2 = _client("ec2", url)
        mwaa = _client("mwaa", endpoints["mwaa"], inject_host_prefix=False)
        made = {s: _client(s, url) for s in ("sts", "iam")}
        made["ec2"] = self.ec2
        self.clients = Clients(
            s3=self.s3,
            mwaa=mwaa,
            cloudformation=_client("cloudformation", url),
            secretsmanager=_client("secretsmanager", url),
            made=made,
        )
        endpoints["fake"].add(self.name, f"{self.name}-mwaa")  # what the stack's MWAA is
        self.airflow = StandInAirflow(self.s3, f"{self.name}-mwaa", lag=0, clock=CLOCK)
        self.airflow.attach(mwaa)
        self.writes: list[str] = []
        self._count_writes()
        self.bootstraps: list[dict] = []
        # the small stack has no Redshift: the bootstrap (tested on the emulation's own
        # stack in tests/devkit/run/test_local_up.py) is recorded here
        monkeypatch.setattr(
            redshift_bootstrap,
            "run_bootstrap",
            lambda clients, outputs: self.bootstraps.append(outputs) or ["users.sql"],
        )
        self.repo = write_tree(tmp_path / "repo", {**REPO_FILES, "infra/stack.yaml": TEMPLATE})
        self.night = write_tree(tmp_path / "night", NIGHT)
        self.subnets = self._subnets()

    def _count_writes(self) -> None:
        def count(params, model, **_):
            self.writes.append(f"{model.name} {params.get('Key') or params.get('Name') or ''}")

        for client, ops in (
            (self.s3, ("PutObject", "DeleteObject", "DeleteObjects")),
            (self.clients.cloudformation, ("ExecuteChangeSet",)),
            (self.clients.secretsmanager, ("CreateSecret", "PutSecretValue")),
        ):
            for op in ops:
                client.meta.events.register(f"before-parameter-build.*.{op}", count)
        self.airflow_writes = lambda: [c for c in self.airflow.calls if c[0] in ("PATCH", "POST")]

    def _subnets(self) -> list[str]:
        vpc = self.ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        return [
            self.ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"10.7.{n}.0/24", AvailabilityZone=f"{REGION}{az}"
            )["Subnet"]["SubnetId"]
            for n, az in enumerate("abc")
        ]

    def options(self, **overrides) -> Options:
        values = dict(
            repo=self.repo,
            stack=self.name,
            region=REGION,
            template=Path("infra/stack.yaml"),
            parameters={
                "ProjectName": self.name,
                "GitHubRepository": "owner/repo",
                "PrivateSubnetIds": ",".join(self.subnets[:2]),
                "RedshiftSubnetIds": ",".join(self.subnets),
                "SecurityGroupIds": "sg-1",
            },
            poll_interval=0,
            timeout=30,
            sample_night=True,
            sample_dir=self.night,
            confirm_timeout=5,
        )
        values.update(overrides)
        return Options(**values)

    def run(self, order=command.STEPS, **overrides) -> list[str]:
        usage = DagUsage(variables={"landing_bucket": ["redshift_demo__initial_load"]})
        run = Run(self.options(**overrides), self.clients, print, validate=passed)
        run.usage = lambda _repo: usage
        return command.up(run, order)

    def state(self) -> dict:
        """Everything `up` writes, as values (not as a log of calls)."""
        objects = {}
        for bucket in (f"{self.name}-mwaa", f"{self.name}-landing"):
            listed = self.s3.list_objects_v2(Bucket=bucket).get("Contents", [])
            objects.update({f"{bucket}/{o['Key']}": o["ETag"] for o in listed})
        # the manifest records when it was written: compared without its time stamp
        manifest = self.s3.get_object(Bucket=f"{self.name}-mwaa", Key="deploy-manifest.json")
        document = json.loads(manifest["Body"].read())
        document.pop("deployed_at")
        for entry in document["objects"].values():  # S3's ids, different per bucket
            entry.pop("version_id", None)
        objects[f"{self.name}-mwaa/deploy-manifest.json"] = document
        secret = self.clients.secretsmanager.get_secret_value(
            SecretId=f"{self.name}/airflow/variables/landing_bucket"  # pragma: allowlist secret
        )["SecretString"]
        return {
            "stack": change_sets.stack_status(self.clients.cloudformation, self.name),
            "objects": objects,
            "secret": secret,
            "paused": dict(self.airflow.paused),
            "runs": sorted(self.airflow.runs),
        }


@pytest.fixture
def account(endpoints, tmp_path, monkeypatch) -> Account:
    return Account(endpoints, tmp_path, monkeypatch)


def test_up_from_nothing_to_a_first_night(account, capsys):
    lines = account.run()
    out = capsys.readouterr().out
    state = account.state()
    assert state["stack"] == "CREATE_COMPLETE"
    assert f"{account.name}-landing/tickit/sales/ds=2026-12-06/_SUCCESS" in state["objects"]
    assert f"{account.name}-mwaa/dags/data_lake__raw.py" in state["objects"]
    assert state["secret"] == f"{account.name}-landing"
    assert set(state["paused"].values()) == {False} and len(state["paused"]) == 3
    assert {dag for dag, _ in state["runs"]} == set(CLOCK)
    assert account.bootstraps and account.bootstraps[0]["LandingBucket"].endswith("-landing")
    assert "[11/11] readiness: reported above" in out
    assert "left: settings, database bootstrap" in out
    assert "DataHub: no server configured" in out
    assert any(line.startswith("pre-flight: account 123456789012") for line in lines)


def test_a_second_up_changes_nothing(account, endpoints):
    account.run()
    first = account.state()
    account.writes.clear()
    account.airflow.calls.clear()
    # the provider the stack created (CreateGitHubOidcProvider=true) is found now: kept
    iam = _client("iam", endpoints["s3"])
    made = None
    if not iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        made = iam.create_open_id_connect_provider(
            Url="https://token.actions.githubusercontent.com",
            ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["a" * 40],
        )["OpenIDConnectProviderArn"]
    try:
        lines = account.run()
    finally:
        if made:
            iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=made)
    assert account.writes == []
    assert account.airflow_writes() == [
        ("POST", f"/dags/{dag}/dagRuns") for dag in sorted(CLOCK)
    ]  # asked, and answered 409: the runs exist
    assert account.state() == first
    assert "pipelines stack: stack" in lines[3] and "unpause: 0 unpaused" in lines[8]


class Killed(BaseException):
    """A kill between two steps (not an Exception: nothing may catch it)."""


@pytest.fixture(scope="module")
def uninterrupted(endpoints, tmp_path_factory) -> tuple[str, dict]:
    """(name, state) of one fresh project's `up` run without a kill: what each killed and
    rerun project must end in (one run for all the cases, not one per case)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        clean = Account(endpoints, tmp_path_factory.mktemp("clean"), monkeypatch)
        clean.run()
        return clean.name, clean.state()


@pytest.mark.parametrize("after", ["pipelines stack", "settings", "sample night", "unpause"])
def test_killed_after_a_step_a_rerun_ends_in_the_same_state(after, account, uninterrupted):
    def killer(run):
        raise Killed(after)

    names = [name for name, _ in command.STEPS]
    cut = names.index(after) + 1
    with pytest.raises(Killed):
        account.run(order=command.STEPS[:cut] + (("kill", killer),))
    account.run()
    killed_then_rerun = account.state()
    clean_name, expected = uninterrupted
    rename = {clean_name: account.name}

    def same_names(state: dict) -> dict:
        text = repr(state)
        for old, new in rename.items():
            text = text.replace(old, new)
        return eval(text)  # noqa: S307 (our own repr of dicts, lists and strings)

    assert killed_then_rerun == same_names(expected)


def test_the_command_line_reads_flags_into_options(tmp_path):
    from deploy.__main__ import parser
    from deploy.up.cli import options_from

    args = parser().parse_args(
        ["up", "--region", "eu-west-1", "--network", "--sample-night", "--repo", str(tmp_path),
         "--parameter", "GitHubRepository=o/r", "--clean-up"]
    )  # fmt: skip
    options = options_from(args)
    assert options.network_stack == "mwaa-pipelines-network"
    assert options.sample_night and options.sample_dir is None
    assert options.parameters == {"GitHubRepository": "o/r"} and options.clean_up
    assert options.region == "eu-west-1" and options.repo == tmp_path.resolve()


def test_a_template_over_the_inline_limit_goes_through_the_stacks_bucket(account, capsys):
    account.run(order=command.STEPS[:4])
    # past 51,200 bytes even as minified JSON (a plain template Metadata section)
    big = TEMPLATE + "Metadata:\n  Padding: " + "y" * 52_000 + "\n"
    (account.repo / "infra/stack.yaml").write_text(big)
    account.run(order=command.STEPS[3:4])
    listed = account.s3.list_objects_v2(Bucket=f"{account.name}-mwaa", Prefix="cloudformation/")
    assert [o["Key"].split("/")[1] for o in listed.get("Contents", [])] == [account.name]


def test_without_a_directory_the_repositorys_generator_makes_the_night(account):
    from datetime import date

    from deploy.up import sample_night
    from devkit.paths import REPO

    bucket = f"{account.name}-gen"
    account.s3.create_bucket(Bucket=bucket)
    day = date(2026, 12, 6)
    uploaded, unchanged = sample_night.land_night(account.s3, bucket, REPO, None, day)
    keys = [o["Key"] for o in account.s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert uploaded == len(keys) and unchanged == 0
    assert "tickit/sales/ds=2026-12-06/_SUCCESS" in keys
    assert sample_night.land_night(account.s3, bucket, REPO, None, day) == (0, uploaded)


def test_with_a_datahub_server_the_lineage_connection_is_written(account):
    from deploy.up import steps

    secrets = account.clients.secretsmanager
    token = secrets.create_secret(Name=f"{account.name}/datahub/gms-token", SecretString="tok")
    run = Run(account.options(), account.clients, print)
    run.usage = lambda _repo: DagUsage(variables={"landing_bucket": ["x"]})
    run.outputs = {
        "LandingBucket": f"{account.name}-landing",
        "DatahubGmsUrl": "https://gms.example.com",
        "DataHubGmsTokenSecretArn": token["ARN"],
        "AirflowVariablesPrefix": f"{account.name}/airflow/variables",
        "AirflowConnectionsPrefix": f"{account.name}/airflow/connections",
    }
    steps.step_settings(run)
    name = f"{account.name}/airflow/connections/datahub_rest_default"  # pragma: allowlist secret
    written = secrets.get_secret_value(SecretId=name)
    assert json.loads(written["SecretString"]) == {
        "conn_type": "datahub-rest",
        "host": "https://gms.example.com",
        "password": "tok",  # pragma: allowlist secret (a test value)
    }
    secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
