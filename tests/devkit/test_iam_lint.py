"""devkit.iam_lint: parliament over iam/*.json; only recorded findings may stand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from devkit import iam_lint
from devkit.paths import REPO

EXECUTION_POLICY = REPO / "iam" / "mwaa-execution-role-dag-policy.json"


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def write(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


@pytest.fixture
def no_accepted(tmp_path) -> Path:
    return write(tmp_path / "accepted.yaml", [])  # JSON is YAML: an empty list


def test_the_repository_iam_documents_pass(capsys):
    assert iam_lint.main([]) == 0, capsys.readouterr().out


def test_placeholders_are_replaced_by_sample_values():
    text = '"arn:aws:glue:${Region}:${AccountId}:crawler/${CrawlerNamePrefix}*" ${aws:userid}'
    assert iam_lint.substitute(text) == (
        '"arn:aws:glue:eu-west-1:123456789012:crawler/sample-crawler-name-prefix*" ${aws:userid}'
    )


def test_a_clean_policy_with_placeholders_passes(tmp_path, no_accepted, capsys):
    clean = write(
        tmp_path / "clean.json",
        policy(
            {
                "Sid": "ReadLake",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::${LakeBucket}/*",
            }
        ),
    )
    assert iam_lint.main([str(clean), "--accepted", str(no_accepted)]) == 0
    assert "0 new findings" in capsys.readouterr().out


def test_a_new_finding_fails_naming_the_file_and_the_finding(tmp_path, no_accepted, capsys):
    # s3:GetObject acts on objects; a bucket ARN matches nothing it can touch.
    bad = write(
        tmp_path / "bad-policy.json",
        policy(
            {
                "Sid": "ReadLakeWrongArn",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::${LakeBucket}",
            }
        ),
    )
    assert iam_lint.main([str(bad), "--accepted", str(no_accepted)]) == 1
    out = capsys.readouterr().out
    assert "NEW FINDING  bad-policy.json: MEDIUM RESOURCE_MISMATCH" in out
    assert "statement ReadLakeWrongArn" in out and "s3:getobject" in out
    assert "iam lint FAILED" in out


def test_a_statement_added_to_an_accepted_policy_is_still_linted(tmp_path, capsys):
    """Later statements (EMR Serverless, ECS) keep the old acceptances and get no free pass."""
    document = json.loads(EXECUTION_POLICY.read_text())
    document["Statement"].append(
        {
            "Sid": "RunAnyTask",
            "Effect": "Allow",
            "Action": ["ecs:RunTask", "iam:PassRole"],
            "Resource": "*",
        }
    )
    grown = write(tmp_path / EXECUTION_POLICY.name, document)
    assert iam_lint.main([str(grown)]) == 1
    new = [line for line in capsys.readouterr().out.splitlines() if line.startswith("NEW")]
    assert new and all("statement RunAnyTask" in line for line in new), new
    assert any("PASSROLE_NOT_SCOPED" in line for line in new), new
    assert not any("glue:createcrawler" in line for line in new)


def test_passrole_without_passed_to_service_is_a_finding(tmp_path):
    unscoped = write(
        tmp_path / "passrole.json",
        policy(
            {
                "Sid": "PassJobRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "arn:aws:iam::${AccountId}:role/${JobRoleName}",
            }
        ),
    )
    issues = {(f.issue, f.sid) for f in iam_lint.lint_document(unscoped)}
    assert ("PASSROLE_NOT_SCOPED", "PassJobRole") in issues


def test_an_accepted_finding_passes_and_a_stale_acceptance_fails(tmp_path, capsys):
    bad = write(
        tmp_path / "bad-policy.json",
        policy(
            {
                "Sid": "ReadLakeWrongArn",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::${LakeBucket}",
            }
        ),
    )
    entry = {
        "file": "bad-policy.json",
        "issue": "RESOURCE_MISMATCH",
        "sid": "ReadLakeWrongArn",
        "subject": "s3:getobject",
        "why": "test",
    }
    accepted = tmp_path / "accepted.yaml"
    accepted.write_text(yaml.safe_dump([entry]))
    assert iam_lint.main([str(bad), "--accepted", str(accepted)]) == 0

    accepted.write_text(yaml.safe_dump([entry, {**entry, "sid": "Gone"}]))
    assert iam_lint.main([str(bad), "--accepted", str(accepted)]) == 1
    assert "STALE ACCEPTANCE  bad-policy.json: RESOURCE_MISMATCH Gone" in capsys.readouterr().out


def test_every_accepted_finding_is_explained_in_the_iam_readme():
    readme = (REPO / "iam" / "README.md").read_text()
    for entry in iam_lint.load_accepted(iam_lint.ACCEPTED):
        assert entry["issue"] in readme and entry["file"] in readme, entry
    assert "docs.aws.amazon.com/service-authorization/latest/reference/" in readme
