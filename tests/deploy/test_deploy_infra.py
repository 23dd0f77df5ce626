"""`python -m deploy infra plan|apply` against moto's CloudFormation (server mode).

The real templates (infra/) are not used: small fixture templates of resource
types moto's CloudFormation creates (S3 buckets, SNS topics) stand in, with
Outputs that follow the templates' contract.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from deploy.__main__ import main
from deploy.aws import Clients
from deploy.cloudformation import change_sets, inputs
from deploy.cloudformation.inputs import (
    MAX_TEMPLATE_BODY,
    read_parameters,
    read_template,
    template_parameters,
    template_source,
)
from deploy.errors import DeployError
from devkit.iam import recorder as iam_recorder
from devkit.iam.check import check
from devkit.iam.policies import policies_for, stack_resources
from devkit.paths import REPO
from tests.deploy.conftest import DEPLOY_CREDENTIALS, REGION, _client


def template(bucket: str, team_tag: str = "data-platform", with_audit: bool = False) -> str:
    """A stack with a landing bucket and an alerts topic; optionally an audit topic."""
    audit = (
        "  Audit:\n    Type: AWS::SNS::Topic\n    Properties:\n"
        "      TopicName: !Sub '${AWS::StackName}-audit'\n"
        if with_audit
        else ""
    )
    return f"""\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Environment:
    Type: String
Resources:
  Landing:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: {bucket}
      Tags:
        - Key: team
          Value: {team_tag}
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub '${{AWS::StackName}}-${{Environment}}-alerts'
{audit}Outputs:
  LandingBucket:
    Value: !Ref Landing
  AlertsSnsTopicArn:
    Value: !Ref Alerts
"""


class Stack:
    """One uniquely named stack and bucket on the shared moto server, with its clients."""

    def __init__(self, endpoints, tmp_path):
        self.name = f"infra-{uuid.uuid4().hex[:8]}"
        self.bucket = f"landing-{uuid.uuid4().hex[:10]}"
        self.cfn = _client("cloudformation", endpoints["s3"])
        self.s3 = _client("s3", endpoints["s3"])
        self.sns = _client("sns", endpoints["s3"])
        self.clients = Clients(s3=self.s3, mwaa=None, cloudformation=self.cfn)
        self.executed: list[str] = []
        self.cfn.meta.events.register(
            "before-parameter-build.cloudformation.ExecuteChangeSet",
            lambda params, **_: self.executed.append(params["ChangeSetName"]),
        )
        self.tmp_path = tmp_path

    def write(self, text: str, name: str = "stack.yaml") -> str:
        path = self.tmp_path / name
        path.write_text(text)
        return str(path)

    def run(self, command: str, text: str, *extra: str) -> int:
        args = ["infra", command, "--stack", self.name, "--template", self.write(text)]
        args += ["--parameter", "Environment=test", "--poll-interval", "0", *extra]
        return main(args, self.clients)

    def exists(self) -> bool:
        return change_sets.stack_status(self.cfn, self.name) is not None

    def resources(self) -> dict[str, str]:
        """Logical id -> physical id. (moto 5.2 does not refresh a stack's Outputs when it
        executes a change set, so the tests read its resources instead.)"""
        listed = self.cfn.describe_stack_resources(StackName=self.name)["StackResources"]
        return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in listed}

    def topics(self) -> set[str]:
        return {t["TopicArn"].rsplit(":", 1)[1] for t in self.sns.list_topics()["Topics"]}

    def change_sets_left(self) -> list[str]:
        """Change sets still waiting on this stack. moto lists every change set of the
        region whatever StackName says, and keeps executed ones (AWS removes them)."""
        summaries = self.cfn.list_change_sets(StackName=self.name).get("Summaries", [])
        return [
            s["ChangeSetName"]
            for s in summaries
            if s.get("StackName") == self.name and s.get("ExecutionStatus") != "EXECUTE_COMPLETE"
        ]

    def bucket_exists(self, name: str) -> bool:
        try:
            self.s3.head_bucket(Bucket=name)
            return True
        except ClientError:
            return False


@pytest.fixture
def stack(endpoints, tmp_path) -> Stack:
    return Stack(endpoints, tmp_path)


@pytest.fixture
def created(stack, capsys) -> Stack:
    """The stack applied once from the base template."""
    assert stack.run("apply", template(stack.bucket)) == 0
    capsys.readouterr()
    stack.executed.clear()
    return stack


@pytest.fixture
def moto_reports_bucket_replacement(monkeypatch):
    """Make moto's DescribeChangeSet report Replacement for buckets, as AWS does.

    moto 5.2 leaves `Replacement` out of every change (it reports only Action,
    LogicalResourceId and ResourceType), while AWS says "True" when a bucket's
    BucketName changes. This wraps moto's change-set model in the test only;
    the production code trusts whatever CloudFormation reports.
    """
    from moto.cloudformation import models

    original = models.ChangeSet.diff

    def diff(change_set):
        changes = original(change_set)
        before = change_set.stack.resource_map._resource_json_map
        after = change_set.template_dict["Resources"]
        for change in changes:
            if change.action == "Modify" and change.resource_type == "AWS::S3::Bucket":
                old = before[change.logical_resource_id]["Properties"].get("BucketName")
                new = after[change.logical_resource_id]["Properties"].get("BucketName")
                change.replacement = "True" if old != new else "False"
        return changes

    monkeypatch.setattr(models.ChangeSet, "diff", diff)


def test_plan_of_a_new_stack_shows_adds_and_leaves_nothing_behind(stack, capsys):
    assert stack.run("plan", template(stack.bucket)) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:1] != " "}
    assert rows["Landing"] == ["AWS::S3::Bucket", "Add", "-"]
    assert rows["Alerts"] == ["AWS::SNS::Topic", "Add", "-"]
    assert f"stack {stack.name}: would create (2 to add, 0 to modify, 0 to remove)" in out
    assert not stack.exists()  # the REVIEW_IN_PROGRESS stack was deleted too
    assert stack.change_sets_left() == []
    assert not stack.bucket_exists(stack.bucket)
    assert stack.executed == []


def test_apply_creates_the_stack_and_its_resources(stack, capsys):
    assert stack.run("apply", template(stack.bucket)) == 0
    out = capsys.readouterr().out
    assert "Add" in out and "executing the change set" in out
    assert "CREATE_COMPLETE" in out and f"stack {stack.name}: CREATE_COMPLETE" in out
    assert len(stack.executed) == 1
    assert stack.bucket_exists(stack.bucket)
    assert f"{stack.name}-test-alerts" in stack.topics()  # "test": the --parameter
    resources = stack.resources()
    assert resources["Landing"] == stack.bucket
    assert resources["Alerts"].endswith(f":{stack.name}-test-alerts")
    assert stack.change_sets_left() == []


def test_apply_without_changes_executes_nothing(created, capsys):
    assert created.run("apply", template(created.bucket)) == 0
    out = capsys.readouterr().out
    assert f"stack {created.name} is up to date" in out
    assert created.executed == []
    assert created.change_sets_left() == []
    assert created.run("plan", template(created.bucket)) == 0
    assert "is up to date" in capsys.readouterr().out


def test_a_parameter_not_given_keeps_its_current_value(created, capsys):
    """Without Environment=test the update reuses it (UsePreviousValue), so nothing changes;
    CloudFormation would otherwise reset it to its default, or refuse a missing one."""
    args = ["infra", "apply", "--stack", created.name, "--poll-interval", "0"]
    assert (
        main([*args, "--template", created.write(template(created.bucket))], created.clients) == 0
    )
    assert f"stack {created.name} is up to date" in capsys.readouterr().out
    (stack,) = created.cfn.describe_stacks(StackName=created.name)["Stacks"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {
        "Environment": "test"
    }


def test_a_changed_tag_and_a_new_resource_are_planned_then_applied(created, capsys):
    changed = template(created.bucket, team_tag="analytics-engineering", with_audit=True)
    assert created.run("plan", changed) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:1] != " "}
    assert rows["Landing"][:2] == ["AWS::S3::Bucket", "Modify"]
    assert rows["Audit"] == ["AWS::SNS::Topic", "Add", "-"]
    assert "Alerts" not in rows
    assert "would update (1 to add, 1 to modify, 0 to remove)" in out
    assert created.executed == [] and created.change_sets_left() == []

    assert created.run("apply", changed) == 0
    assert f"stack {created.name}: UPDATE_COMPLETE" in capsys.readouterr().out
    assert len(created.executed) == 1
    assert f"{created.name}-audit" in created.topics()
    body = created.cfn.get_template(StackName=created.name)["TemplateBody"]
    assert "analytics-engineering" in body
    assert created.run("apply", changed) == 0
    assert "is up to date" in capsys.readouterr().out


def test_a_removed_bucket_is_planned_with_a_note_on_its_data(created, capsys):
    only_alerts = """\
Parameters:
  Environment:
    Type: String
Resources:
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub '${AWS::StackName}-${Environment}-alerts'
"""
    assert created.run("plan", only_alerts) == 0
    out = capsys.readouterr().out
    assert "Landing    AWS::S3::Bucket Remove   -" in out
    assert "note: Landing (AWS::S3::Bucket) is removed: deleted with its data unless" in out
    assert created.bucket_exists(created.bucket) and created.change_sets_left() == []


def test_replacing_a_bucket_is_refused(created, moto_reports_bucket_replacement, capsys):
    renamed = f"landing-{uuid.uuid4().hex[:10]}"
    assert created.run("apply", template(renamed)) == 1
    captured = capsys.readouterr()
    assert "Landing" in captured.out and "yes" in captured.out  # the plan table
    err = captured.err
    assert "refused" in err and "Landing (AWS::S3::Bucket, replacement yes)" in err
    assert "objects are not copied" in err and "--allow-replacement" in err
    assert "Traceback" not in err
    assert created.executed == [] and created.change_sets_left() == []
    assert created.resources()["Landing"] == created.bucket
    assert renamed not in created.cfn.get_template(StackName=created.name)["TemplateBody"]
    assert created.bucket_exists(created.bucket) and not created.bucket_exists(renamed)


def test_allow_replacement_goes_through(created, moto_reports_bucket_replacement, capsys):
    renamed = f"landing-{uuid.uuid4().hex[:10]}"
    assert created.run("apply", template(renamed), "--allow-replacement") == 0
    assert "UPDATE_COMPLETE" in capsys.readouterr().out
    assert created.resources()["Landing"] == renamed
    assert created.bucket_exists(renamed) and not created.bucket_exists(created.bucket)


# --- without a server: inputs, the guard, and the failure path of execute -----------------


def test_parameters_from_either_file_shape_with_overrides(tmp_path):
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"Environment": "prod", "Retention": 30}))
    cli = tmp_path / "cli.json"
    cli.write_text(json.dumps([{"ParameterKey": "Environment", "ParameterValue": "prod"}]))
    expected = [{"ParameterKey": "Environment", "ParameterValue": "prod"}]
    assert read_parameters(cli, []) == expected
    assert read_parameters(plain, ["Retention=7"]) == expected + [
        {"ParameterKey": "Retention", "ParameterValue": "7"}
    ]
    with pytest.raises(DeployError, match="expected KEY=VALUE"):
        read_parameters(None, ["Environment"])
    (tmp_path / "bad.json").write_text('[{"Key": "x"}]')
    with pytest.raises(DeployError, match="bad.json: expected"):
        read_parameters(tmp_path / "bad.json", [])


def test_a_missing_template_is_named(tmp_path):
    with pytest.raises(DeployError, match="missing.yaml not found: pass --template"):
        read_template(tmp_path / "missing.yaml")


def test_template_parameters_are_the_declared_names_read_by_libyaml():
    """The parameter names deploy up keeps or asks for, read by libyaml's loader (the run's
    set-up parses the template once per process: 0.011 s instead of 0.098 s of CPU)."""
    body = (REPO / "infra" / "pipelines.yaml").read_text()

    class PurePython(yaml.SafeLoader):
        pass

    PurePython.add_multi_constructor("!", lambda loader, suffix, node: None)
    declared = set(yaml.load(body, Loader=PurePython)["Parameters"])  # noqa: S506
    assert template_parameters(body) == declared and "RedshiftSubnetIds" in declared
    assert template_parameters("Resources: {B: {Type: AWS::S3::Bucket}}") == set()
    assert template_parameters("Parameters: {Env: {Type: String}}\nX: !Ref Env") == {"Env"}
    with pytest.raises(DeployError, match="the template is not valid YAML"):
        template_parameters("Parameters: [unclosed")
    assert not yaml.__with_libyaml__ or inputs._SAFE_LOADER is yaml.CSafeLoader


def test_a_template_over_the_limit_only_by_its_comments_goes_inline_minified(stack, capsys):
    commented = template(stack.bucket) + "".join(f"# comment line {n:06d}\n" for n in range(2500))
    assert len(commented.encode()) > MAX_TEMPLATE_BODY
    assert stack.run("apply", commented) == 0  # no --template-bucket needed
    assert f"stack {stack.name}: CREATE_COMPLETE" in capsys.readouterr().out
    assert stack.bucket_exists(stack.bucket)


def test_the_pipelines_template_goes_inline_minified_or_through_the_bucket(tmp_path):
    """Inline as minified JSON while that fits; else (the permissions boundary and the
    documented service policies took it past 51,200 bytes) through the bucket CI passes
    (MWAA_INFRA_TEMPLATE_BUCKET, .github/workflows/deploy.yml)."""
    body = read_template(REPO / "infra" / "pipelines.yaml")
    assert len(body.encode()) > MAX_TEMPLATE_BODY  # as written: too big to send inline

    class Recorder:
        puts: list = []

        def put_object(self, **kwargs):
            self.puts.append(kwargs)

    s3 = Recorder()
    sent = template_source(s3, body, Path("pipelines.yaml"), "s", "mwaa-bucket", "us-east-1")
    if "TemplateBody" in sent:
        document = json.loads(sent["TemplateBody"])
        assert document["Resources"]["LakeBucket"]["Type"] == "AWS::S3::Bucket"
        assert s3.puts == []
    else:
        (put,) = s3.puts
        assert put["Bucket"] == "mwaa-bucket" and put["Key"].startswith("cloudformation/s/")
        assert sent["TemplateURL"].endswith(put["Key"])


def test_a_big_template_goes_through_the_template_bucket(stack, capsys):
    """Over 51,200 bytes even minified, CloudFormation needs TemplateURL: the copy is
    content-addressed."""
    big = template(stack.bucket) + f"Metadata:\n  Padding: {'x' * 52_000}\n"
    assert len(big.encode()) > MAX_TEMPLATE_BODY
    assert stack.run("plan", big) == 1
    assert "pass --template-bucket" in capsys.readouterr().err
    templates = f"templates-{uuid.uuid4().hex[:8]}"
    stack.s3.create_bucket(Bucket=templates)
    assert stack.run("apply", big, "--template-bucket", templates) == 0
    assert f"stack {stack.name}: CREATE_COMPLETE" in capsys.readouterr().out
    keys = [o["Key"] for o in stack.s3.list_objects_v2(Bucket=templates)["Contents"]]
    digest = hashlib.sha256(big.encode()).hexdigest()
    assert keys == [f"cloudformation/{stack.name}/{digest}.yaml"]
    assert stack.bucket_exists(stack.bucket)
    assert stack.run("apply", big, "--template-bucket", templates) == 0
    assert "is up to date" in capsys.readouterr().out


@pytest.mark.parametrize(
    "resource_type,replacement,refused",
    [
        ("AWS::RedshiftServerless::Namespace", "Conditional", True),
        ("AWS::Logs::LogGroup", "True", True),
        ("AWS::Glue::Database", "False", False),
        ("AWS::SNS::Topic", "True", False),  # stateless: replacing it loses nothing
        ("AWS::S3::Bucket", None, False),  # no Replacement reported: nothing to refuse
    ],
)
def test_the_guard_reads_awss_replacement_field(resource_type, replacement, refused):
    change = change_sets.ResourceChange("Thing", resource_type, "Modify", replacement)
    change_set = change_sets.ChangeSet("s", False, "arn", "id", [change])
    if refused:
        with pytest.raises(DeployError, match=f"Thing \\({resource_type}"):
            change_sets.refuse_replacements(change_set)
    else:
        change_sets.refuse_replacements(change_set)


def _event(event_id: str, logical_id: str, status: str, reason: str = "") -> dict:
    return {
        "StackId": "stack-id",
        "EventId": event_id,
        "StackName": "s",
        "LogicalResourceId": logical_id,
        "ResourceType": (
            "AWS::S3::Bucket" if logical_id == "Landing" else "AWS::CloudFormation::Stack"
        ),
        "Timestamp": datetime(2026, 12, 2, 21, 0, tzinfo=timezone.utc),
        "ResourceStatus": status,
        "ResourceStatusReason": reason,
    }


def test_a_rolled_back_update_names_the_resource_and_the_reason():
    """moto never fails or rolls back, so AWS's answers are stubbed here."""
    cfn = _client("cloudformation", "http://127.0.0.1:9")  # never reached: stubbed
    stubber = Stubber(cfn)
    before = _event("e1", "s", "REVIEW_IN_PROGRESS")
    failed = _event("e3", "Landing", "UPDATE_FAILED", "landing-x already exists")
    rolled_back = _event("e4", "s", "UPDATE_ROLLBACK_COMPLETE")
    stubber.add_response("describe_stack_events", {"StackEvents": [before]})
    stubber.add_response("execute_change_set", {})
    stubber.add_response(
        "describe_stack_events",
        {"StackEvents": [rolled_back, failed, _event("e2", "s", "UPDATE_IN_PROGRESS"), before]},
    )
    stubber.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_COMPLETE"))
    lines: list[str] = []
    with stubber, pytest.raises(DeployError) as raised:
        change_sets.execute(
            cfn, change_sets.ChangeSet("s", False, "arn", "stack-id"), lines.append, 0
        )
    assert str(raised.value) == (
        "stack s ended UPDATE_ROLLBACK_COMPLETE: Landing (AWS::S3::Bucket) UPDATE_FAILED: "
        "landing-x already exists"
    )
    assert [line.split()[1:3] for line in lines] == [
        ["s", "UPDATE_IN_PROGRESS"],
        ["Landing", "UPDATE_FAILED"],
        ["s", "UPDATE_ROLLBACK_COMPLETE"],
    ]


def test_a_rejected_template_is_one_line_naming_the_stack(tmp_path, capsys):
    """AWS answers a bad template with a ValidationError (moto answers 500): stubbed."""
    cfn = _client("cloudformation", "http://127.0.0.1:9")  # never reached: stubbed
    stubber = Stubber(cfn)
    for _ in range(2):  # keep_previous_values, then create: a new stack
        stubber.add_client_error(
            "describe_stacks", "ValidationError", "Stack with id s does not exist", 400
        )
    stubber.add_client_error(
        "create_change_set", "ValidationError", "Template format error: unresolved Ref", 400
    )
    (tmp_path / "t.yaml").write_text("Resources: {}\n")
    args = ["infra", "plan", "--stack", "s", "--template", str(tmp_path / "t.yaml")]
    with stubber:
        assert main(args, Clients(s3=None, mwaa=None, cloudformation=cfn)) == 1
    err = capsys.readouterr().err
    assert err == (
        "deploy: error: CreateChangeSet failed for stack s: ValidationError: "
        "Template format error: unresolved Ref\n"
    )


def _stack(status: str) -> dict:
    created = datetime(2026, 12, 1, tzinfo=timezone.utc)
    return {"Stacks": [{"StackName": "s", "CreationTime": created, "StackStatus": status}]}


def test_a_final_status_seen_before_any_new_event_is_not_trusted():
    """Right after ExecuteChangeSet, DescribeStacks may still show the previous status."""
    cfn = _client("cloudformation", "http://127.0.0.1:9")  # never reached: stubbed
    stubber = Stubber(cfn)
    before = _event("e1", "s", "UPDATE_COMPLETE")
    stubber.add_response("describe_stack_events", {"StackEvents": [before]})
    stubber.add_response("execute_change_set", {})
    stubber.add_response("describe_stack_events", {"StackEvents": [before]})
    stubber.add_response("describe_stacks", _stack("UPDATE_COMPLETE"))  # stale
    started, done = _event("e2", "s", "UPDATE_IN_PROGRESS"), _event("e3", "s", "UPDATE_COMPLETE")
    stubber.add_response("describe_stack_events", {"StackEvents": [done, started, before]})
    stubber.add_response("describe_stacks", _stack("UPDATE_COMPLETE"))
    lines: list[str] = []
    with stubber:
        status = change_sets.execute(
            cfn, change_sets.ChangeSet("s", False, "arn", "stack-id"), lines.append, 0
        )
    assert status == "UPDATE_COMPLETE"
    assert [line.split()[2] for line in lines] == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]
    stubber.assert_no_pending_responses()


def test_an_update_keeps_the_object_versions_the_last_dag_deploy_set():
    """The deploy moves PluginsS3ObjectVersion on every deploy; the stack's own value is
    older. Given values win; the rest keep their current value."""

    described = {
        "StackStatus": "UPDATE_COMPLETE",
        "Parameters": [
            {"ParameterKey": key, "ParameterValue": "old"}
            for key in ("PluginsS3ObjectVersion", "ProjectName", "Gone")
        ],
        "Outputs": [{"OutputKey": "MwaaEnvironmentName", "OutputValue": "env"}],
    }

    class Mwaa:
        def get_environment(self, Name):
            assert Name == "env"
            return {"Environment": {"PluginsS3ObjectVersion": "v7"}}

    declared = {"PluginsS3ObjectVersion", "RequirementsS3ObjectVersion", "ProjectName", "Size"}
    given = [{"ParameterKey": "Size", "ParameterValue": "2"}]
    assert change_sets.keep_previous_values(described, given, declared, Mwaa()) == [
        {"ParameterKey": "Size", "ParameterValue": "2"},
        {"ParameterKey": "PluginsS3ObjectVersion", "ParameterValue": "v7"},
        {"ParameterKey": "ProjectName", "UsePreviousValue": True},
    ]


# --- the deploy role's rights, from infra/pipelines.yaml ---------------------------------

STACK_ROLE = f"arn:aws:iam::{iam_recorder.ACCOUNT_ID}:role/local-cloudformation-execution"


def _as_deploy_role(created: Stack, endpoints) -> Stack:
    """The stack the administrator created, from now on changed by DeployRole (CI)."""
    cfn = _client("cloudformation", endpoints["s3"], DEPLOY_CREDENTIALS)
    created.clients = Clients(s3=None, mwaa=None, cloudformation=cfn)
    return created


def _deploy_role_check(stack: Stack, mark: int):
    resources = stack_resources(
        iam_recorder.ACCOUNT_ID,
        REGION,
        "local",
        names={"CloudFormationExecutionRole": STACK_ROLE.rsplit("/", 1)[1]},
        ids={"AWS::StackName": stack.name},
    )
    policies = policies_for(resources, principals=("DeployRole",))
    accesses = [a for a in iam_recorder.LOG.since(mark) if a.principal == "DeployRole"]
    assert accesses, "the deploy role's calls were recorded"
    return check(accesses, policies)


def test_the_deploy_role_may_change_its_stack_only_through_the_stack_role(
    created, endpoints, capsys
):
    stack = _as_deploy_role(created, endpoints)
    changed = template(stack.bucket, team_tag="analytics-engineering")
    mark = iam_recorder.LOG.mark()
    assert stack.run("apply", changed, "--role-arn", STACK_ROLE) == 0
    assert f"as {STACK_ROLE}" in capsys.readouterr().out
    _deploy_role_check(stack, mark).raise_for_problems()

    mark = iam_recorder.LOG.mark()
    stack.run("plan", template(stack.bucket, team_tag="finance"))  # no role: its own rights
    problems = _deploy_role_check(stack, mark).problems()
    # The request's change set name is a condition key AWS sets (and the line shows).
    assert [p.split(" (by")[0].split(" [")[0] for p in problems] == [
        f"DENIED DeployRole: cloudformation:CreateChangeSet on {stack_arn(stack)}"
    ]
    assert "[cloudformation:ChangeSetName=" in problems[0]


def stack_arn(stack: Stack) -> str:
    return stack.cfn.describe_stacks(StackName=stack.name)["Stacks"][0]["StackId"]
