"""Per-test database, bucket and a small Data API client (``local_aws`` is in tests/conftest.py)."""

from __future__ import annotations

import time
import uuid

import pytest

from devkit.emulator import LocalAws


@pytest.fixture
def redshift_db(embedded_postgres) -> str:
    """A fresh, empty database name for Data API calls (``Database=...``)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    embedded_postgres.create_database(name)
    return name


@pytest.fixture
def bucket(local_aws) -> str:
    name = f"devkit-{uuid.uuid4().hex[:12]}"
    local_aws.create_bucket(name)
    return name


class RedshiftData:
    """Submit SQL through the Data API endpoint and return the final DescribeStatement."""

    def __init__(self, aws: LocalAws, database: str):
        self.client = aws.client("redshift-data")
        self.database = database

    def run(self, sql: str | list[str]) -> dict:
        kwargs = {"Database": self.database, "WorkgroupName": "local"}
        if isinstance(sql, list):
            statement_id = self.client.batch_execute_statement(Sqls=sql, **kwargs)["Id"]
        else:
            statement_id = self.client.execute_statement(Sql=sql, **kwargs)["Id"]
        for _ in range(50):
            desc = self.client.describe_statement(Id=statement_id)
            if desc["Status"] in ("FINISHED", "FAILED", "ABORTED"):
                return desc
            time.sleep(0.05)
        raise AssertionError(f"statement {statement_id} never finished")

    def ok(self, sql: str | list[str]) -> dict:
        desc = self.run(sql)
        assert desc["Status"] == "FINISHED", desc.get("Error")
        return desc

    def rows(self, sql: str) -> list[list]:
        desc = self.ok(sql)
        result = self.client.get_statement_result(Id=desc["Id"])
        return [[_value(field) for field in rec] for rec in result["Records"]]


def _value(field: dict):
    return None if field.get("isNull") else next(iter(field.values()))


@pytest.fixture
def redshift(local_aws, redshift_db) -> RedshiftData:
    return RedshiftData(local_aws, redshift_db)
