"""Service roles are at least as wide as AWS documents, or narrower with a reason.

infra/documented_policies/ holds a copy of the policy AWS documents for each role a
service uses on its own behalf (MWAA execution, Glue crawler, EMR Serverless job,
Redshift COPY/UNLOAD, ECS task execution), with the page it comes from. Every action
of its Allow statements must be allowed to the template's role (identity ∩ boundary,
devkit/iam/evaluate.py) on the documented resources, or be listed under `narrower`
with the reason the template grants less. The local run cannot record what a service
does for itself; for those accesses the documented policy is the only evidence.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devkit.iam.evaluate import Request, evaluate
from devkit.iam.infra_policies import INFRA_DIR, policies

DOCUMENTED = sorted((INFRA_DIR / "documented_policies").glob("*.json"))
DOCUMENTS = policies(INFRA_DIR / "pipelines.yaml")
SERVICE_ROLES = {
    "MwaaExecutionRole",
    "GlueCrawlerRole",
    "EmrJobRole",
    "RedshiftCopyUnloadRole",
    "DataHubTaskExecutionRole",
}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _filled(value, placeholders: dict):
    text = json.dumps(value)
    for placeholder, sample in placeholders.items():
        text = text.replace(placeholder, sample)
    return json.loads(text)


def _role(role: str) -> tuple[list[dict], list[dict]]:
    identity = [d.document for d in DOCUMENTS if d.kind == "identity" and role in d.roles]
    boundary = [d.document for d in DOCUMENTS if d.kind == "boundary" and role in d.roles]
    return identity, boundary


def _context(statement: dict) -> dict:
    found = {}
    for operator, block in (statement.get("Condition") or {}).items():
        if operator.startswith(("StringLike", "StringEquals", "ArnLike", "ArnEquals")):
            found.update({key: _as_list(values)[0] for key, values in block.items()})
    return found


def missing_grants(spec: dict) -> list[str]:
    """`action on resource` for each documented grant the role lacks (and no reason)."""
    identity, boundary = _role(spec["role"])
    policy = _filled(spec["policy"], spec.get("placeholders", {}))
    missing = []
    for index, statement in enumerate(_as_list(policy["Statement"])):
        if statement["Effect"] != "Allow":
            continue
        resources = spec.get("samples", {}).get(str(index)) or statement.get("Resource", "*")
        for action in _as_list(statement["Action"]):
            if action in spec["narrower"]:
                continue
            for resource in _as_list(resources):
                request = Request(action, resource, _context(statement))
                if not evaluate(identity, request, boundary).allowed:
                    missing.append(f"{action} on {resource}")
    return missing


def test_every_service_role_has_its_documented_policy():
    assert {json.loads(path.read_text())["role"] for path in DOCUMENTED} == SERVICE_ROLES


@pytest.mark.parametrize("path", DOCUMENTED, ids=lambda p: p.stem)
def test_the_role_grants_what_aws_documents_or_says_why_not(path: Path):
    spec = json.loads(path.read_text())
    assert spec["source"].startswith("https://docs.aws.amazon.com/"), spec["source"]
    assert spec["title"] and spec["copied"]
    documented = {
        action
        for statement in _as_list(spec["policy"]["Statement"])
        for action in _as_list(statement["Action"])
    }
    stale = set(spec["narrower"]) - documented
    assert not stale, f"{path.name}: reasons for actions the page does not grant: {stale}"
    assert all(why.strip() for why in spec["narrower"].values()), path.name
    assert missing_grants(spec) == [], f"infra/pipelines.yaml {spec['role']} lacks these"


def test_a_role_missing_a_documented_action_fails_naming_it():
    spec = json.loads((INFRA_DIR / "documented_policies" / "mwaa_execution_role.json").read_text())
    spec["policy"]["Statement"].append(
        {"Effect": "Allow", "Action": "sqs:PurgeQueue", "Resource": "arn:aws:sqs:*:*:x"}
    )
    assert missing_grants(spec) == ["sqs:PurgeQueue on arn:aws:sqs:*:*:x"]
