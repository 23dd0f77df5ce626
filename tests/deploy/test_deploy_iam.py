"""Every IAM document parses and grants no blanket wildcard without a written reason."""

from __future__ import annotations

import json
import re

import pytest

from devkit.paths import REPO

IAM = REPO / "iam"
DOCUMENTS = sorted(IAM.glob("*.json"))
# Statement ids allowed a bare "Resource": "*"; each is justified in iam/README.md.
WILDCARD_RESOURCE_SIDS = {"RedshiftDataOwnStatementsWildcardRequired"}


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_documents_exist():
    names = {p.name for p in DOCUMENTS}
    assert {
        "deploy-role-policy.json",
        "deploy-role-trust-policy.json",
        "mwaa-execution-role-dag-policy.json",
    } <= names


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_no_unjustified_wildcards(path):
    document = json.loads(path.read_text())
    assert document["Version"] == "2012-10-17"
    readme = (IAM / "README.md").read_text()
    for statement in _as_list(document["Statement"]):
        sid = statement["Sid"]
        assert statement["Effect"] == "Allow" and "NotAction" not in statement
        for action in _as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), (sid, action)
        for resource in _as_list(statement.get("Resource", [])):
            if resource == "*":
                assert sid in WILDCARD_RESOURCE_SIDS and sid in readme, sid
                assert statement.get("Condition"), f"{sid}: wildcard without a condition"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_no_credentials_or_account_ids(path):
    text = path.read_text()
    assert not re.search(r"AKIA[0-9A-Z]{16}|aws_secret_access_key", text)
    assert not re.search(r"\b\d{12}\b", text), "use ${AccountId}"


def test_trust_is_one_repository_environment_via_oidc():
    statement = json.loads((IAM / "deploy-role-trust-policy.json").read_text())["Statement"][0]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    equals = statement["Condition"]["StringEquals"]
    assert equals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    sub = equals["token.actions.githubusercontent.com:sub"]
    assert sub.endswith(":environment:production") and "*" not in sub
    assert "StringLike" not in statement["Condition"]


def test_deploy_role_deletes_only_under_dags():
    statements = json.loads((IAM / "deploy-role-policy.json").read_text())["Statement"]
    deleting = [s for s in statements if "s3:DeleteObject" in _as_list(s["Action"])]
    assert [r for s in deleting for r in _as_list(s["Resource"])] == [
        "arn:aws:s3:::${MwaaBucket}/dags/*"
    ]
