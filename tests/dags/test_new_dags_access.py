"""New DAGs (tests/dags/new_dags/) on the emulation, as the roles' policies allow them.

A task calling something its role may not do fails there and then with AccessDenied,
as on AWS (its failure callback fires), and the run's IAM check names the grant to add.
Six Amazon operators no pipeline DAG uses run without an unmapped call: what they call
is in devkit/iam/actions.py or derived from AWS's authorization data.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from devkit.airflow.dagrun import stored_dags
from devkit.domains import for_dags
from devkit.run.local_up import new_stack_name, pipeline_on_stack

pytestmark = pytest.mark.integration

NEW_DAGS = Path(__file__).parent / "new_dags"
DAY = date(2008, 1, 2)


@pytest.fixture(scope="module")
def new_dags(airflow_db):
    """The folder's DAGs, parsed and stored as the DAG processor would (dag.test() looks
    DAGs up in the configured bundle, which this folder is not)."""
    return stored_dags(NEW_DAGS)


@pytest.fixture(scope="module")
def pipeline(local_aws, airflow_db):
    return pipeline_on_stack(local_aws, new_stack_name(), domains=for_dags(()))  # the house's


def run(pipeline, new_dags, dag_id: str):
    return pipeline.run_parsed(new_dags[dag_id], dag_id, DAY)


def test_a_delete_where_the_role_may_not_write_fails_that_task_and_names_the_grant(
    pipeline, new_dags
):
    lake = pipeline.names.lake_bucket
    keys = [f"bronze/tickit/scratch/{DAY}/{name}.json" for name in ("a", "b")]
    for key in keys:
        pipeline.aws.put_object(lake, key, "{}")

    result = run(pipeline, new_dags, "tickit__prune_scratch")

    assert result.state == "failed"
    assert [(t.task_id, t.state) for t in result.tasks] == [("prune", "failed")]
    log = result.tasks[0].log.read_text()
    assert "AccessDenied" in log
    assert f"s3:DeleteObject on resource: arn:aws:s3:::{lake}/{keys[0]}" in log
    assert pipeline.aws.list_keys(lake, "bronze/tickit/scratch/") == keys  # nothing deleted
    assert any("prune" in f"{subject} {message}" for subject, message in pipeline.alerts())
    assert pipeline.check_iam().problems() == [
        f"DENIED MwaaExecutionRole: s3:DeleteObject on arn:aws:s3:::{lake}/{keys[0]} "
        "(by s3 DeleteObjects; no statement allows it) -> change infra/pipelines.yaml: "
        f"MwaaExecutionRole (and 1 more under arn:aws:s3:::{lake}/bronze/*)"
    ]


def test_six_operators_no_pipeline_uses_run_without_an_unmapped_call(pipeline, new_dags):
    lake = pipeline.names.lake_bucket
    mark = len(pipeline.accesses)

    result = run(pipeline, new_dags, "tickit__provider_tour")

    assert result.state == "success", [(t.task_id, t.state, t.log_tail()) for t in result.failed]
    report = pipeline.check_iam()
    assert report.unmapped == [] and report.denials == []
    night = f"bronze/tickit/tour/{DAY}/"
    assert pipeline.aws.list_keys(lake, night) == [night + "copied.csv", night + "marker.csv"]
    s3 = pipeline.aws.s3_client()
    copied = s3.get_object(Bucket=lake, Key=night + "copied.csv")["Body"].read()
    assert copied == f"night,rows\n{DAY},0".encode()  # Jinja drops the trailing newline
    subject, message = pipeline.alerts()[-1]
    assert subject == f"provider tour {DAY}" and night + "copied.csv" in message
    accesses = pipeline.accesses[mark:]
    listed_by_prefix = [a for a in accesses if a.request.context.get("s3:delimiter") == "/"]
    assert listed_by_prefix and listed_by_prefix[0].action == "s3:ListBucket"
    assert {"s3 PutObject", "s3 ListObjectsV2", "s3 GetObject", "sns Publish"} <= {
        a.via for a in accesses
    }
