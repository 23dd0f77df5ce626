"""Operations the hand-kept table does not name, derived from AWS's authorization data.

Most operations are authorized as the action of the same name on one resource whose
ARN the request's own parameters spell (GetJob: `glue:GetJob` on `job/${JobName}`, the
name in `JobName`). For those the Service Authorization Reference
(devkit/iam/authorization.py) gives the action and the ARN format, and the request
fills the format's variables; an action without resource types is authorized on `*`.
Whatever cannot be derived so stays unmapped, with the one line to add by hand.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from devkit.iam import authorization
from devkit.iam.evaluate import Request

# botocore service name -> IAM service prefix, where they differ.
IAM_PREFIX = {"mwaa": "airflow", "stepfunctions": "states", "emr": "elasticmapreduce"}
# Services whose operations may be derived: those infra/pipelines.yaml uses.
SERVICES = (
    "s3",
    "glue",
    "athena",
    "redshift-data",
    "redshift-serverless",
    "emr-serverless",
    "ecs",
    "logs",
    "sns",
    "sqs",
    "secretsmanager",
    "cloudformation",
    "mwaa",
    "sts",
)
# ARN variable -> request parameters that carry it (besides its own name, any case).
ALIASES = {
    "BucketName": ("Bucket",),
    "ObjectName": ("Key",),
    "WorkGroupName": ("WorkGroup", "Name"),
    "WorkgroupName": ("workgroupName",),
    "NamespaceName": ("namespaceName",),
    "DataCatalogName": ("CatalogName", "Name"),
    "QueueName": ("QueueUrl",),
    "TopicName": ("TopicArn",),
    "LogGroupName": ("logGroupName", "logGroupIdentifier"),
    "LogStreamName": ("logStreamName",),
    "ClusterName": ("cluster",),
    "TaskId": ("task",),
    "EnvironmentName": ("Name",),
    "SecretId": ("SecretId", "Name"),
    "JobName": ("Name",),
    "SessionId": ("Id",),
    "RulesetName": ("Name",),
    "TaskDefinitionFamilyName": ("family",),
}


class NotDerivable(LookupError):
    """The reference does not spell this operation's authorization from its parameters."""


def iam_prefix(service: str) -> str:
    return IAM_PREFIX.get(service, service)


def requests(service: str, operation: str, params: Mapping[str, Any], where) -> list[Request]:
    """The IAM requests of `operation`, derived; raises NotDerivable with the reason."""
    if service not in SERVICES:
        raise NotDerivable(f"{service} is not a service infra/pipelines.yaml uses")
    name = f"{iam_prefix(service)}:{operation}"
    entry = authorization.action(name)
    if entry is None:
        raise NotDerivable(f"AWS has no action {name}: the operation is authorized otherwise")
    formats = authorization.arn_formats(name)
    if not formats:
        return [Request(name, "*")]
    required = [t["name"] for t in entry["resourceTypes"] if t.get("required")]
    for kind in required or list(formats):
        arn = fill(formats[kind], params, where)
        if arn is not None:
            return [Request(name, arn)]
    raise NotDerivable(f"no parameter of the request names the {name} resource")


def fill(arn_format: str, params: Mapping[str, Any], where) -> str | None:
    """The ARN format with its variables from the request, or None if one is missing."""
    for value in params.values():  # the request names the resource by its whole ARN
        if isinstance(value, str) and authorization.format_pattern(arn_format).match(value):
            return value
    arn = arn_format.replace("${Partition}", "aws")
    arn = arn.replace("${Region}", where.region).replace("${Account}", where.account)
    for variable in authorization.variables(arn_format):
        value = _parameter(variable, params)
        if value is None:
            return None
        arn = arn.replace("${" + variable + "}", value)
    return arn


def _parameter(variable: str, params: Mapping[str, Any]) -> str | None:
    lowered = {k.lower(): v for k, v in params.items() if isinstance(v, str) and v}
    for candidate in (variable, *ALIASES.get(variable, ())):
        value = lowered.get(candidate.lower())
        if value is not None:
            return _last_segment(value) if _is_address(value) else value
    return None


def _is_address(value: str) -> bool:
    return value.startswith(("arn:", "https://", "http://"))


def _last_segment(value: str) -> str:
    """`arn:aws:sns:...:alerts` -> `alerts`; a queue URL `.../123456789012/jobs` -> `jobs`."""
    return re.split(r"[/:]", value.rstrip("/"))[-1]


def hint(service: str, operation: str) -> str:
    """The one line to add to devkit/iam/actions.py for an operation it cannot derive."""
    name = f"{iam_prefix(service)}:{operation}"
    formats = authorization.arn_formats(name) if authorization.action(name) else {}
    arn = next(iter(formats.values()), "") or "*"
    return (
        f'add to its table in devkit/iam/actions.py: "{operation}": lambda p, w: '
        f'[Request("{name}", <{arn}>)], (see {name} in the Service Authorization Reference)'
    )
