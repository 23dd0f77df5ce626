"""boto3 clients with adaptive retries, so throttling slows us down, not out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

RETRIES = {"mode": "adaptive", "max_attempts": 10}


@dataclass
class Clients:
    """The AWS clients the tool needs; tests inject their own.

    CloudFormation and Secrets Manager serve only `deploy infra`, the Redshift Data
    API only the database bootstrap, so the DAG deploy's callers may leave them out.
    """

    s3: Any
    mwaa: Any
    cloudformation: Any = None
    secretsmanager: Any = None
    redshift_data: Any = None


def make_clients(region: str | None) -> Clients:
    """Create clients; AWS_ENDPOINT_URL(_S3/_MWAA/...) is honoured by boto3 itself.

    Creating a client makes no request, so building all of them is free.
    """
    session = boto3.session.Session(region_name=region)
    config = Config(retries=RETRIES, user_agent_extra="mwaa-dag-deploy")
    return Clients(
        s3=session.client("s3", config=config),
        mwaa=session.client("mwaa", config=config),
        cloudformation=session.client("cloudformation", config=config),
        secretsmanager=session.client("secretsmanager", config=config),
        redshift_data=session.client("redshift-data", config=config),
    )
