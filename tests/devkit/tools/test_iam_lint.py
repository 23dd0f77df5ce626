"""devkit.tools.iam_lint: parliament over every policy of infra/*.yaml; recorded findings stand."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from devkit.iam.infra_policies import INFRA_DIR, policies
from devkit.paths import REPO
from devkit.tools import iam_lint

PIPELINES = INFRA_DIR / "pipelines.yaml"


def template(tmp_path: Path, statements: str, name: str = "stack.yaml") -> Path:
    """A one-role template whose inline policy `app` holds these statements (YAML)."""
    body = textwrap.indent(textwrap.dedent(statements).strip(), " " * 14)
    path = tmp_path / name
    path.write_text(textwrap.dedent("""\
            AWSTemplateFormatVersion: "2010-09-09"
            Resources:
              Lake:
                Type: AWS::S3::Bucket
                Properties:
                  BucketName: !Sub sample-lake-${AWS::AccountId}
              AppRole:
                Type: AWS::IAM::Role
                Properties:
                  AssumeRolePolicyDocument:
                    Version: "2012-10-17"
                    Statement:
                      - Sid: LambdaOfThisAccount
                        Effect: Allow
                        Principal: {Service: lambda.amazonaws.com}
                        Action: sts:AssumeRole
                  Policies:
                    - PolicyName: app
                      PolicyDocument:
                        Version: "2012-10-17"
                        Statement:
            """) + body + "\n")
    return path


@pytest.fixture
def no_accepted(tmp_path) -> Path:
    path = tmp_path / "accepted.yml"
    path.write_text("[]\n")
    return path


def test_the_repository_templates_pass(capsys):
    assert iam_lint.main([]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "2 templates" in out and "0 new findings" in out


def test_every_policy_document_of_the_templates_is_linted():
    """Trust, inline and bucket policies alike, each named <template>:<id>:<policy>."""
    labels = {policy.label for policy in policies(PIPELINES)}
    assert {
        "pipelines.yaml:DeployRole:AssumeRolePolicyDocument",
        "pipelines.yaml:DeployRole:deploy",
        "pipelines.yaml:MwaaExecutionRole:dag-calls",
        "pipelines.yaml:MwaaBucketPolicy:BucketPolicy",
    } <= labels


def test_a_clean_role_passes_and_its_trust_policy_needs_no_resource(tmp_path, no_accepted, capsys):
    clean = template(
        tmp_path,
        """
        - Sid: ReadLake
          Effect: Allow
          Action: s3:GetObject
          Resource: !Sub ${Lake.Arn}/*
        """,
    )
    assert iam_lint.main([str(clean), "--accepted", str(no_accepted)]) == 0
    assert "2 policy documents, 0 new findings" in capsys.readouterr().out


def test_a_new_finding_fails_naming_the_policy_and_the_statement(tmp_path, no_accepted, capsys):
    # s3:GetObject acts on objects; a bucket ARN matches nothing it can touch.
    bad = template(
        tmp_path,
        """
        - Sid: ReadLakeWrongArn
          Effect: Allow
          Action: s3:GetObject
          Resource: !GetAtt Lake.Arn
        """,
    )
    assert iam_lint.main([str(bad), "--accepted", str(no_accepted)]) == 1
    out = capsys.readouterr().out
    assert "NEW FINDING  stack.yaml:AppRole:app: MEDIUM RESOURCE_MISMATCH" in out
    assert "statement ReadLakeWrongArn" in out and "s3:getobject" in out
    assert "iam lint FAILED" in out


def test_a_statement_added_to_an_accepted_policy_is_still_linted(tmp_path, capsys):
    """The repository's acceptances give a new statement no free pass."""
    text = PIPELINES.read_text()
    anchor = "              - Sid: PassTheLakeJobRoleToEmrServerless\n"
    grown = tmp_path / "pipelines.yaml"
    grown.write_text(
        text.replace(
            anchor,
            "              - Sid: RunAnyTask\n"
            "                Effect: Allow\n"
            "                Action: [ecs:RunTask, iam:PassRole]\n"
            '                Resource: "*"\n' + anchor,
        )
    )
    assert iam_lint.main([str(grown)]) == 1
    new = [line for line in capsys.readouterr().out.splitlines() if line.startswith("NEW")]
    assert new and all("statement RunAnyTask" in line for line in new), new
    assert any("PASSROLE_NOT_SCOPED" in line for line in new), new


def test_passrole_without_passed_to_service_is_a_finding(tmp_path):
    unscoped = template(
        tmp_path,
        """
        - Sid: PassAppRole
          Effect: Allow
          Action: iam:PassRole
          Resource: !GetAtt AppRole.Arn
        """,
    )
    trust, app = policies(unscoped)
    issues = {(f.issue, f.sid) for f in iam_lint.lint_policy(app)}
    assert ("PASSROLE_NOT_SCOPED", "PassAppRole") in issues
    assert not iam_lint.lint_policy(trust)


def test_an_accepted_finding_passes_and_a_stale_acceptance_fails(tmp_path, capsys):
    bad = template(
        tmp_path,
        """
        - Sid: ReadLakeWrongArn
          Effect: Allow
          Action: s3:GetObject
          Resource: !GetAtt Lake.Arn
        """,
    )
    entry = {
        "policy": "stack.yaml:AppRole:app",
        "issue": "RESOURCE_MISMATCH",
        "sid": "ReadLakeWrongArn",
        "subject": "s3:getobject",
        "why": "test",
    }
    accepted = tmp_path / "accepted.yml"
    accepted.write_text(yaml.safe_dump([entry]))
    assert iam_lint.main([str(bad), "--accepted", str(accepted)]) == 0

    accepted.write_text(yaml.safe_dump([entry, {**entry, "sid": "Gone"}]))
    assert iam_lint.main([str(bad), "--accepted", str(accepted)]) == 1
    out = capsys.readouterr().out
    assert "STALE ACCEPTANCE  stack.yaml:AppRole:app: RESOURCE_MISMATCH Gone" in out


def test_every_accepted_finding_has_a_reason_and_is_explained_in_the_docs():
    docs = (REPO / "docs" / "infra.md").read_text()
    for entry in iam_lint.load_accepted(iam_lint.ACCEPTED):
        assert entry["why"].strip(), entry
        logical_id = entry["policy"].split(":")[1]
        assert entry["issue"] in docs and logical_id in docs, entry
    assert "docs.aws.amazon.com/service-authorization/latest/reference/" in docs
