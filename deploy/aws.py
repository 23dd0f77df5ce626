"""boto3 clients with adaptive retries, so throttling slows us down, not out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

RETRIES = {"mode": "adaptive", "max_attempts": 10}


@dataclass
class Clients:
    """The two AWS clients the tool needs; tests inject their own."""

    s3: Any
    mwaa: Any


def make_clients(region: str | None) -> Clients:
    """Create clients; AWS_ENDPOINT_URL(_S3/_MWAA) is honoured by boto3 itself."""
    session = boto3.session.Session(region_name=region)
    config = Config(retries=RETRIES, user_agent_extra="mwaa-dag-deploy")
    return Clients(
        s3=session.client("s3", config=config),
        mwaa=session.client("mwaa", config=config),
    )
