"""boto3 clients with adaptive retries, so throttling slows us down, not out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

RETRIES = {"mode": "adaptive", "max_attempts": 10}
CONFIG = Config(retries=RETRIES, user_agent_extra="mwaa-dag-deploy")


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
    # `deploy up` also asks STS, EC2, IAM, the Redshift Data API...: made on first use
    # from this session (tests give one pointed at the emulation).
    session: Any = None
    made: dict = field(default_factory=dict)

    def client(self, service: str):
        """The named boto3 client (`sts`, `ec2`, `iam`, `redshift-data`, ...), made once."""
        given = {"s3": self.s3, "mwaa": self.mwaa, "cloudformation": self.cloudformation}
        given.update(secretsmanager=self.secretsmanager, **{"redshift-data": self.redshift_data})
        if given.get(service) is not None:
            return given[service]
        if service not in self.made:
            session = self.session or boto3.session.Session()
            self.made[service] = session.client(service, config=CONFIG)
        return self.made[service]


def make_clients(region: str | None) -> Clients:
    """Create clients; AWS_ENDPOINT_URL(_S3/_MWAA/...) is honoured by boto3 itself.

    Creating a client makes no request, so building all of them is free.
    """
    session = boto3.session.Session(region_name=region)
    return Clients(
        s3=session.client("s3", config=CONFIG),
        mwaa=session.client("mwaa", config=CONFIG),
        cloudformation=session.client("cloudformation", config=CONFIG),
        secretsmanager=session.client("secretsmanager", config=CONFIG),
        redshift_data=session.client("redshift-data", config=CONFIG),
        session=session,
    )
