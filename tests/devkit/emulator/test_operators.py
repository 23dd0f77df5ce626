"""The real amazon-provider operators, pointed at LocalAws through AIRFLOW_CONN_* variables."""

import asyncio
import gzip
import json
import uuid

import pytest


@pytest.fixture
def airflow_env(local_aws, embedded_postgres, monkeypatch):
    from devkit.emulator import REDSHIFT_ROLE_ARN

    embedded_postgres.create_database("dev", exist_ok=True)
    connections = {
        "AWS_DEFAULT": local_aws.aws_connection(),
        "AWS_REDSHIFT_IAM_ROLE": local_aws.aws_connection(role_arn=REDSHIFT_ROLE_ARN),
        "REDSHIFT_DEFAULT": embedded_postgres.airflow_connection("dev"),
    }
    for name, connection in connections.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{name}", json.dumps(connection))


async def _first_event(trigger):
    async for event in trigger.run():
        return event


def test_provider_operators_end_to_end(airflow_env, local_aws, bucket, embedded_postgres):
    from airflow.providers.amazon.aws.operators.athena import AthenaOperator
    from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerOperator
    from airflow.providers.amazon.aws.operators.redshift_data import RedshiftDataOperator
    from airflow.providers.amazon.aws.transfers.redshift_to_s3 import RedshiftToS3Operator
    from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator
    from airflow.providers.postgres.hooks.postgres import PostgresHook
    from airflow.sdk.exceptions import TaskDeferred

    api = {"database": "dev", "workgroup_name": "local", "poll_interval": 0.1}
    table = f"date_{uuid.uuid4().hex[:6]}"
    ddl = RedshiftDataOperator(
        task_id="ddl",
        sql=f"create schema if not exists tickit; create table tickit.{table} (dateid smallint"
        " distkey sortkey, caldate date, qtr char(2)) diststyle key",
        aws_conn_id="aws_default",
        **api,
    )
    ddl.execute({})
    local_aws.put_object(bucket, "landing/d/part-0.gz", gzip.compress(b"1|2008-01-01|Q1\n"))
    local_aws.put_object(bucket, "landing/d/part-1.gz", gzip.compress(b"2|2008-04-01|Q2\n"))
    S3ToRedshiftOperator(
        task_id="load",
        schema="tickit",
        table=table,
        s3_bucket=bucket,
        s3_key="landing/d/",
        method="REPLACE",
        copy_options=["DELIMITER '|'", "GZIP", "EMPTYASNULL", "DATEFORMAT 'auto'"],
        redshift_conn_id="aws_default",
        aws_conn_id="aws_redshift_iam_role",
        redshift_data_api_kwargs=api,
    ).execute({})
    batch = local_aws.statements[-4:]
    assert [s.sql for s in batch[:2]] == ["BEGIN;", f"DELETE FROM tickit.{table};"]
    assert "aws_iam_role=arn:aws:iam::123456789012:role/local-redshift-s3" in batch[2].sql
    # The SQL connection (used by SQL check operators) sees the Data API's writes.
    count = PostgresHook(postgres_conn_id="redshift_default").get_first(
        f"select count(*) from tickit.{table}"
    )
    assert count[0] == 2

    deferrable = RedshiftDataOperator(
        task_id="check",
        sql=f"select count(*) from tickit.{table}",
        aws_conn_id="aws_default",
        return_sql_result=True,
        deferrable=True,
        **api,
    )
    assert deferrable.execute({})[0]["Records"] == [[{"longValue": 2}]]

    RedshiftToS3Operator(
        task_id="unload",
        s3_bucket=bucket,
        s3_key="curated/dates/",
        select_query=f"select * from tickit.{table}",
        unload_options=["FORMAT AS PARQUET", "PARTITION BY (qtr)", "CLEANPATH"],
        redshift_conn_id="aws_default",
        aws_conn_id="aws_redshift_iam_role",
        redshift_data_api_kwargs=api,
    ).execute({})
    assert local_aws.list_keys(bucket, "curated/dates/") == [
        "curated/dates/qtr=Q1/0000_part_00.parquet",
        "curated/dates/qtr=Q2/0000_part_00.parquet",
    ]

    crawler_config = {
        "Name": f"crawler-{table}",
        "Role": "arn:aws:iam::123456789012:role/glue",
        "DatabaseName": "curated",
        "Targets": {"S3Targets": [{"Path": f"s3://{bucket}/curated/dates/"}]},
    }
    GlueCrawlerOperator(task_id="crawl", config=crawler_config, poll_interval=0.1).execute({})
    crawl = GlueCrawlerOperator(
        task_id="crawl_deferred", config=crawler_config, poll_interval=0.1, deferrable=True
    )
    with pytest.raises(TaskDeferred) as deferred:
        crawl.execute({})
    event = asyncio.run(_first_event(deferred.value.trigger))
    assert crawl.execute_complete({}, event.payload) == crawler_config["Name"]

    athena = AthenaOperator(
        task_id="query",
        query="select count(*) from dates where qtr = 'Q2'",
        database="curated",
        output_location=f"s3://{bucket}/athena/",
        sleep_time=0,
    )
    query_id = athena.execute({})
    result = local_aws.client("athena").get_query_results(QueryExecutionId=query_id)
    assert result["ResultSet"]["Rows"][1]["Data"][0]["VarCharValue"] == "1"


def test_sns_publish_reaches_emulator(airflow_env, local_aws):
    from airflow.providers.amazon.aws.hooks.sns import SnsHook

    topic = local_aws.client("sns").create_topic(Name="alerts")["TopicArn"]
    message_id = SnsHook(aws_conn_id="aws_default").publish_to_target(topic, "dag failed")
    assert message_id
