"""LocalAws: a moto server on loopback, with the extensions that make our services behave."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import Iterator

import boto3

from devkit.emulator import moto_extensions
from devkit.emulator.ecs import ingestion as ecs_ingestion
from devkit.emulator.moto_server import QuickStoppingMotoServer
from devkit.emulator.redshift import data_api as redshift_data
from devkit.emulator.redshift import serverless as redshift_serverless
from devkit.emulator.redshift.data_api import RedshiftDataService, StatementRecord
from devkit.emulator.s3.store import ACCOUNT_ID
from devkit.iam import recorder

FAKE_KEY = "testing"  # moto's documented dummy credentials, not a secret
REDSHIFT_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/local-redshift-s3"
_running: list["LocalAws"] = []  # moto's backends are process-global: one at a time


class LocalAws:
    """Emulated AWS on ``127.0.0.1:<free port>``; Redshift runs on the given EmbeddedPostgres.

    Only one instance may run per process: moto's backends are process-global. Starting
    applies moto_extensions.py (refused on another moto version), stopping removes them.
    """

    def __init__(self, postgres, region: str = "us-east-1", port: int = 0):
        self.postgres = postgres
        self.port = port
        self.region = region
        self.account_id = ACCOUNT_ID
        self._server: QuickStoppingMotoServer | None = None
        self._redshift: RedshiftDataService | None = None
        self._s3 = None  # the set-up principal's S3 client, made once per start

    def __enter__(self) -> "LocalAws":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        moto_extensions.install()  # first: on another moto version nothing starts
        if _running:
            moto_extensions.remove()
            raise RuntimeError("a LocalAws is already running in this process")
        try:
            self._redshift = RedshiftDataService(self.postgres.connect)
            redshift_data.serve(self._redshift)
            redshift_serverless.on_namespace = self._create_namespace_database
            recorder.LOOKUPS[("redshift-serverless", "workgroup-id")] = self.workgroup_id
            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request
            self._server = QuickStoppingMotoServer(
                ip_address="127.0.0.1", port=self.port, verbose=False
            )
            self._server.start()
            ecs_ingestion.serve(self.endpoint_url, FAKE_KEY)  # before any request reaches ECS
        except BaseException:
            self._release()
            raise
        _running.append(self)

    def _create_namespace_database(self, namespace) -> None:
        """A Redshift Serverless namespace's database is a PostgreSQL database."""
        self.postgres.create_database(namespace.db_name, exist_ok=True)

    def stop(self) -> None:
        if self in _running:
            _running.remove(self)
            self._release()

    def _release(self) -> None:
        """Stop the server, forget this emulation's state, remove moto's extensions."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._s3 = None
        redshift_data.serve(None)
        redshift_serverless.on_namespace = None
        ecs_ingestion.stop()
        moto_extensions.remove()

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalAws is not started")
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def workgroup_id(self, params: dict, region: str | None = None) -> str:
        """The id (a UUID on AWS) of the Redshift Serverless workgroup
        `params["workgroupName"]`, which IAM authorizes the Data API on, as GetWorkgroup
        answers it. A workgroup the stack created has its UUID; the local pipelines'
        own workgroup (provisioned per domain, not yet from the stack) is declared with
        its name as id in devkit/run/local_stack.py, and the policy is resolved with it."""
        name = params["workgroupName"]
        try:
            return redshift_serverless.workgroup(ACCOUNT_ID, region or self.region, name).id
        except redshift_serverless.NotFound:
            return name

    @property
    def statements(self) -> list[StatementRecord]:
        """Every Redshift Data API SQL received, in order."""
        return list(self._redshift.records) if self._redshift else []

    def client(self, service: str, principal: str | None = None):
        """A client as the set-up principal (unchecked), or as a role (checked)."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=_key(principal),
            aws_secret_access_key=FAKE_KEY,
        )

    def s3_client(self):
        """The set-up principal's S3 client, shared: making one costs ~4 ms of CPU, and the
        run's set-up alone puts, lists and reads through it ~35 times (botocore clients
        are safe to share between threads)."""
        if self._s3 is None:
            self._s3 = self.client("s3")
        return self._s3

    def create_bucket(self, bucket: str) -> None:
        kwargs = {}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self.s3_client().create_bucket(Bucket=bucket, **kwargs)

    def put_object(self, bucket: str, key: str, body: bytes | str) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.s3_client().put_object(Bucket=bucket, Key=key, Body=data)

    def list_keys(self, bucket: str, prefix: str = "") -> list[str]:
        paginator = self.s3_client().get_paginator("list_objects_v2")
        keys = []
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(keys)

    def aws_connection(self, principal: str | None = None, **extra) -> dict:
        """An Airflow `aws` connection (JSON-able dict) to the emulator, signing as
        `principal` (a role's logical id; its calls are checked); `extra` adds keys."""
        return {
            "conn_type": "aws",
            "extra": {
                "endpoint_url": self.endpoint_url,
                "region_name": self.region,
                "aws_access_key_id": _key(principal),
                "aws_secret_access_key": FAKE_KEY,
                **extra,
            },
        }

    def environment(self, principal: str | None = None) -> dict[str, str]:
        """Plain AWS variables, so bare boto3 (and the AWS CLI) also land on the emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": _key(principal),
            "AWS_SECRET_ACCESS_KEY": FAKE_KEY,
        }


def _key(principal: str | None) -> str:
    return recorder.access_key(principal) if principal else FAKE_KEY


@contextmanager
def patched_environ(values: dict[str, str | None]) -> Iterator[None]:
    """Set (or, for None, unset) environment variables for the block; restore them after."""
    saved = {k: os.environ.get(k) for k in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
