"""boto3 clients with adaptive retries, so throttling slows us down, not out."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.loaders import Loader

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
    session = boto3.session.Session(botocore_session=_botocore_session(), region_name=region)
    return Clients(
        s3=session.client("s3", config=CONFIG),
        mwaa=session.client("mwaa", config=CONFIG),
        cloudformation=session.client("cloudformation", config=CONFIG),
        secretsmanager=session.client("secretsmanager", config=CONFIG),
        redshift_data=session.client("redshift-data", config=CONFIG),
        session=session,
    )


class _PathsOnce(list):
    """A search path list that keeps each folder once: boto3 adds its own per session."""

    def append(self, path) -> None:
        if path not in self:
            super().append(path)


@lru_cache(maxsize=4)
def _shared_loader(data_path: str | None) -> Loader:
    """One reader of botocore's data files (service models, endpoints) per process: a new
    session would read and decode them again (~0.13 s for the five clients), and the
    tests run the tool many times in one process. The same files, so the same clients."""
    folders = [os.path.expanduser(p) for p in (data_path or "").split(os.pathsep) if p]
    return Loader(extra_search_paths=_PathsOnce(folders))


def _botocore_session() -> botocore.session.Session:
    """A new session (its own credentials and settings) with the shared data loader."""
    session = botocore.session.Session()
    session.register_component(
        "data_loader", _shared_loader(session.get_config_variable("data_path"))
    )
    return session
