"""
### tickit: Prune scratch

Deletes the night's scratch objects under `bronze/tickit/scratch/` in the lake.

A test DAG (tests/dags/test_new_dags_access.py), not a pipeline: the MWAA role may
write in bronze but delete nowhere in the lake, so its one task fails with AccessDenied,
locally as on AWS, until infra/pipelines.yaml grants `s3:DeleteObject` there.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.amazon.aws.operators.s3 import S3DeleteObjectsOperator
from airflow.sdk import DAG

from lakehouse.conventions import (
    CATCHUP,
    DEFAULT_ARGS,
    MAX_ACTIVE_RUNS,
    NIGHTLY,
    START_DATE,
    Conn,
    Tag,
    Var,
    var,
)

DAG_ID = "tickit__prune_scratch"

with DAG(
    dag_id=DAG_ID,
    description="Prune scratch (tickit): the night's scratch objects deleted from the lake",
    doc_md=__doc__,
    schedule=NIGHTLY,
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=MAX_ACTIVE_RUNS,
    dagrun_timeout=timedelta(hours=1),
    default_args=DEFAULT_ARGS,
    tags=[Tag.PROJECT, Tag.NIGHTLY],
) as dag:
    S3DeleteObjectsOperator(
        task_id="prune",
        bucket=var(Var.LAKE_BUCKET),
        prefix="bronze/tickit/scratch/{{ data_interval_start | ds }}/",
        aws_conn_id=Conn.AWS,
    )
