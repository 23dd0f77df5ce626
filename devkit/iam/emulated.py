"""What the in-process emulations do on AWS, recorded as the role AWS would use.

COPY/UNLOAD run as the role the SQL names (`IAM_ROLE` / `aws_iam_role=`), crawlers as
their Role, Spark jobs as the job run's execution role, Athena as its caller. These
helpers turn their reads and writes into the IAM requests AWS would authorize.
"""

from __future__ import annotations

import re
from typing import Iterable

from devkit.iam import recorder
from devkit.iam.actions import Where, bucket_arn, glue_arns, log_group_arn, s3_list, s3_object
from devkit.iam.evaluate import Request

NO_ROLE = "(COPY/UNLOAD without IAM_ROLE)"
_ROLE = re.compile(r"(?:aws_iam_role=|IAM_ROLE\s+')(arn:aws:iam::[^;'\s]+)", re.I)


def redshift_principal(statement: str) -> str:
    """The role a COPY/UNLOAD runs as (the namespace's role named in the SQL)."""
    match = _ROLE.search(statement)
    if not match:
        return NO_ROLE
    try:
        return recorder.principal_of_role(match.group(1).split(",")[0])
    except KeyError:
        return match.group(1)


def role_principal(role: str) -> str:
    """A role name or ARN (a crawler's Role, a job run's execution role) -> its principal."""
    arn = role if role.startswith("arn:") else f"arn:aws:iam::{recorder.ACCOUNT_ID}:role/{role}"
    try:
        return recorder.principal_of_role(arn)
    except KeyError:
        return arn  # a role the policies do not know: every access of it is denied


def where(region: str = "us-east-1") -> Where:
    return Where(region, recorder.ACCOUNT_ID)


def s3_listed(principal: str, via: str, bucket: str, prefix: str) -> None:
    recorder.record(principal, via, [s3_list(bucket, prefix)])


def s3_objects(principal: str, via: str, action: str, bucket: str, keys: Iterable[str]) -> None:
    recorder.record(principal, via, [s3_object(action, bucket, k) for k in keys])


def s3_bucket(principal: str, via: str, action: str, bucket: str) -> None:
    recorder.record(principal, via, [Request(action, bucket_arn(bucket))])


def s3_renamed(principal: str, via: str, bucket: str, source: str, target: str) -> None:
    """An S3 "rename" (Hadoop FileSystem.rename): a copy to the target, then a delete."""
    recorder.record(
        principal,
        via,
        [
            s3_object("s3:GetObject", bucket, source),
            s3_object("s3:PutObject", bucket, target),
            s3_object("s3:DeleteObject", bucket, source),
        ],
    )


def glue(principal: str, via: str, actions: Iterable[str], database: str, table=None) -> None:
    arns = glue_arns(where(), database, table)
    recorder.record(principal, via, [Request(a, arn) for a in actions for arn in arns])


def logs(principal: str, via: str, actions: Iterable[str], group: str, stream: str) -> None:
    arn = log_group_arn(where(), group, stream)
    recorder.record(principal, via, [Request(a, arn) for a in actions])
