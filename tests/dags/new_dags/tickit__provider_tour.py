"""
### tickit: Provider tour

Six Amazon provider operators no pipeline DAG uses yet, on the house's resources: a
marker object written to the lake's bronze zone, waited on until it settles, copied
through a transform script, listed by key and by prefix, and announced on the alerts
topic. Everything stays under `bronze/tickit/tour/<night>/`; re-running overwrites.

A test DAG (tests/dags/test_new_dags_access.py): each operation the operators call is
in devkit/iam/actions.py, or derived from AWS's authorization data, and allowed.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.amazon.aws.operators.s3 import (
    S3CreateObjectOperator,
    S3FileTransformOperator,
    S3ListOperator,
    S3ListPrefixesOperator,
)
from airflow.providers.amazon.aws.operators.sns import SnsPublishOperator
from airflow.providers.amazon.aws.sensors.s3 import S3KeysUnchangedSensor
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

DAG_ID = "tickit__provider_tour"
LAKE = var(Var.LAKE_BUCKET)
NIGHT = "bronze/tickit/tour/{{ data_interval_start | ds }}/"

with DAG(
    dag_id=DAG_ID,
    description="Provider tour (tickit): six Amazon operators on the lake's bronze zone",
    doc_md=__doc__,
    schedule=NIGHTLY,
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=MAX_ACTIVE_RUNS,
    dagrun_timeout=timedelta(hours=1),
    default_args=DEFAULT_ARGS,
    tags=[Tag.PROJECT, Tag.NIGHTLY],
) as dag:
    marker = S3CreateObjectOperator(
        task_id="write_marker",
        s3_bucket=LAKE,
        s3_key=NIGHT + "marker.csv",
        data="night,rows\n{{ data_interval_start | ds }},0\n",
        replace=True,
        aws_conn_id=Conn.AWS,
    )
    settled = S3KeysUnchangedSensor(
        task_id="wait_until_settled",
        bucket_name=LAKE,
        prefix=NIGHT,
        inactivity_period=0,
        min_objects=1,
        poke_interval=1,
        timeout=60,
        aws_conn_id=Conn.AWS,
    )
    copied = S3FileTransformOperator(
        task_id="copy_through_script",
        source_s3_key=f"s3://{LAKE}/{NIGHT}marker.csv",
        dest_s3_key=f"s3://{LAKE}/{NIGHT}copied.csv",
        transform_script="/bin/cp",
        replace=True,
        source_aws_conn_id=Conn.AWS,
        dest_aws_conn_id=Conn.AWS,
    )
    keys = S3ListOperator(task_id="list_keys", bucket=LAKE, prefix=NIGHT, aws_conn_id=Conn.AWS)
    nights = S3ListPrefixesOperator(
        task_id="list_nights",
        bucket=LAKE,
        prefix="bronze/tickit/tour/",
        delimiter="/",
        aws_conn_id=Conn.AWS,
    )
    announce = SnsPublishOperator(
        task_id="announce",
        target_arn=var(Var.ALERTS_TOPIC_ARN),
        subject="provider tour {{ data_interval_start | ds }}",
        message="{{ ti.xcom_pull(task_ids='list_keys') }}",
        aws_conn_id=Conn.AWS,
    )
    marker >> settled >> copied >> [keys, nights] >> announce
