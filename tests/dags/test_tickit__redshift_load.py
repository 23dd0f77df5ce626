"""tickit__redshift_load, run with dag.test() against the emulated AWS.

Asserts effects: rows merged in the warehouse, the SQL submitted for the
logical date, idempotent re-runs, and what a bad extract does (a missing grant,
Variable or Connection: test_redshift_privileges.py, on a stack beside this load).
"""

from __future__ import annotations

import gzip
from datetime import timedelta

import pytest

from devkit.domains.tickit import sample_data
from lakehouse.tickit import TABLES
from tests.dags.conftest import TICKIT_NIGHTS, lineage_off

pytestmark = pytest.mark.integration

DAG_ID = "tickit__redshift_load"
DAY1, DAY2 = TICKIT_NIGHTS  # the two nights the shared load ran (tests/dags/conftest.py)
DAY3 = DAY2 + timedelta(days=1)


def failures(result) -> dict[str, str]:
    return {t.task_id: t.state for t in result.failed}


def keys(pipeline, table) -> list:
    return [
        r[0]
        for r in pipeline.query(f"SELECT {table.key_column} FROM tickit.{table.name} ORDER BY 1")
    ]


def expected_keys(data, table, days) -> list:
    index = 0  # every TICKIT key is the first column
    rows = {r[index] for day in days for r in data.rows_for_day(table.name, day)}
    return sorted(rows)


@pytest.fixture(scope="module")
def loaded(tickit_two_nights):
    return tickit_two_nights


def test_every_task_succeeds_for_two_nights(loaded):
    _, results, _ = loaded
    for result in results:
        assert result.state == "success", failures(result)
        assert len(result.tasks) == 46


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_targets_hold_exactly_the_landed_rows(loaded, table):
    pipeline, _, _ = loaded
    assert keys(pipeline, table) == expected_keys(sample_data(pipeline.scale), table, [DAY1, DAY2])


def test_statements_are_rendered_for_each_logical_date(loaded):
    pipeline, _, statements = loaded
    bucket = pipeline.names.landing_bucket
    for day, next_day in ((DAY1, DAY2), (DAY2, DAY3)):
        copy = [s for s in statements if f"FROM 's3://{bucket}/tickit/sales/ds={day}/part-'" in s]
        assert len(copy) == 1, f"one COPY of the sales extract for {day}"
        assert "aws_iam_role=arn:aws:iam::" in copy[0], "COPY must use the IAM role"
        window = (
            f"saletime >= '{day} 00:00:00+00:00'\n    AND saletime < '{next_day} 00:00:00+00:00'"
        )
        assert sum(window in s for s in statements) == 1, f"one interval delete for {day}"
    assert not any("aws_access_key_id" in s or "aws_secret" in s for s in statements)


def test_re_running_a_night_leaves_the_same_rows(loaded):
    pipeline, _, _ = loaded
    before = {t.name: pipeline.query(f"SELECT * FROM tickit.{t.name} ORDER BY 1") for t in TABLES}

    # A fact lane and a dimension lane stand for all seven (same tasks, same SQL). The
    # lineage the tests assert is the last night's: the plugin's kill switch is on here.
    with lineage_off(pipeline):
        result = pipeline.run(DAG_ID, DAY2, only=r"(sales|users)\.check_reconciles")

    assert result.state == "success", failures(result)
    after = {t.name: pipeline.query(f"SELECT * FROM tickit.{t.name} ORDER BY 1") for t in TABLES}
    assert after == before


def test_a_malformed_row_fails_the_load_and_leaves_the_target_untouched(loaded):
    pipeline, _, _ = loaded
    pipeline.land(DAY3)
    key = f"tickit/sales/ds={DAY3}/part-0000.txt.gz"
    good = gzip.decompress(pipeline.aws.s3_client().get_object(
        Bucket=pipeline.names.landing_bucket, Key=key)["Body"].read())  # fmt: skip
    pipeline.aws.put_object(
        pipeline.names.landing_bucket, key, gzip.compress(good + b"999999|not-a-number|x\n")
    )
    sales_before = pipeline.query("SELECT * FROM tickit.sales ORDER BY 1")

    with lineage_off(pipeline):  # as in the re-run above
        result = pipeline.run(DAG_ID, DAY3, only=r"(sales|users)\.check_reconciles")

    states = {t.task_id: t.state for t in result.tasks}
    assert result.state == "failed"
    assert states["sales.copy_to_staging"] == "failed"
    assert states["sales.merge_into_target"] == "upstream_failed"
    assert states["users.check_reconciles"] == "success", "other lanes still load"
    assert pipeline.query("SELECT * FROM tickit.sales ORDER BY 1") == sales_before
    alerts = pipeline.alerts()
    assert any(f"{DAG_ID}.sales.copy_to_staging" in subject for subject, _ in alerts)
