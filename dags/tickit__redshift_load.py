"""
### Nightly TICKIT load into Redshift

Each night's extracts land in the landing bucket under
`tickit/<table>/ds=<date>/` with a `_SUCCESS` marker. For every TICKIT table
this DAG:

1. creates the target and staging tables if missing (DDL in `sql/tickit/ddl/`);
2. COPYs the extract into staging (S3ToRedshiftOperator over the Data API,
   `REPLACE`: staging holds only tonight's rows);
3. checks staging: keys present and unique, and for facts every event time
   inside the run's half-open data interval `[start, end)`;
4. merges into the target in one transaction (delete what staging replaces,
   then insert), so re-running an interval leaves the same rows; the merge
   reports its staging -> target lineage (`lakehouse.redshift`);
5. reconciles the target with staging, then updates the table's Asset.

Downstream DAGs (`tickit__sales_by_category`) schedule on those Assets.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.amazon.aws.operators.redshift_data import RedshiftDataOperator
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator
from airflow.providers.common.sql.operators.sql import SQLCheckOperator, SQLColumnCheckOperator
from airflow.sdk import DAG, TaskGroup, chain

from lakehouse.conventions import (
    CATCHUP,
    DEFAULT_ARGS,
    MAX_ACTIVE_RUNS,
    NIGHTLY,
    REDSHIFT_DATA_API,
    REDSHIFT_TARGET,
    START_DATE,
    Conn,
    Tag,
    Var,
    sql_searchpath,
    var,
)
from lakehouse.redshift import RedshiftMergeOperator
from lakehouse.tickit import COPY_OPTIONS, SCHEMA, TABLES

DAG_ID = "tickit__redshift_load"

with DAG(
    dag_id=DAG_ID,
    description="Nightly COPY of the TICKIT extracts into Redshift: staged, checked, merged",
    doc_md=__doc__,
    # Runs at midnight UTC for the day that just ended; the sensor waits for
    # the extracts, so a late upstream delays the load instead of failing it.
    schedule=NIGHTLY,
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=MAX_ACTIVE_RUNS,
    dagrun_timeout=timedelta(hours=4),
    default_args=DEFAULT_ARGS,
    tags=[Tag.PROJECT, Tag.TICKIT, Tag.REDSHIFT, Tag.NIGHTLY],
    template_searchpath=sql_searchpath(__file__),
) as dag:
    wait_for_extracts = S3KeySensor(
        task_id="wait_for_extracts",
        aws_conn_id=Conn.AWS,
        bucket_name=var(Var.LANDING_BUCKET),
        bucket_key=[f"{table.landing_prefix()}_SUCCESS" for table in TABLES],
        deferrable=True,
        poke_interval=300,
        timeout=int(timedelta(hours=3).total_seconds()),  # inside the 4 h dagrun_timeout
    )
    create_schema = RedshiftDataOperator(
        task_id="create_schema",
        sql="tickit/ddl/create_schema.sql",
        aws_conn_id=Conn.AWS,
        deferrable=True,
        **REDSHIFT_DATA_API,
    )
    chain(wait_for_extracts, create_schema)

    for table in TABLES:
        is_fact = table.event_time_column is not None
        with TaskGroup(group_id=table.name) as lane:
            ensure_tables = RedshiftDataOperator(
                task_id="ensure_tables",
                sql=[f"tickit/ddl/{table.name}.sql", "tickit/ddl/create_staging.sql"],
                aws_conn_id=Conn.AWS,
                deferrable=True,
                **REDSHIFT_DATA_API,
            )
            copy_to_staging = S3ToRedshiftOperator(
                task_id="copy_to_staging",
                schema=SCHEMA,
                table=table.staging_name,
                s3_bucket=var(Var.LANDING_BUCKET),
                s3_key=table.landing_prefix() + "part-",
                method="REPLACE",
                copy_options=list(COPY_OPTIONS),
                redshift_conn_id=Conn.AWS,
                aws_conn_id=Conn.REDSHIFT_S3_ROLE,
                redshift_data_api_kwargs=REDSHIFT_TARGET,
            )
            staging_checks = [
                SQLCheckOperator(
                    task_id="check_staging_keys",
                    sql="tickit/checks/staging_keys_valid.sql",
                    conn_id=Conn.REDSHIFT_SQL,
                )
            ]
            if is_fact:
                staging_checks.append(
                    SQLCheckOperator(
                        task_id="check_staging_interval",
                        sql="tickit/checks/staging_inside_interval.sql",
                        conn_id=Conn.REDSHIFT_SQL,
                    )
                )
            merge_sql = ["tickit/merge/delete_matching.sql", "tickit/merge/insert_from_staging.sql"]
            if is_fact:
                merge_sql.insert(0, "tickit/merge/delete_interval.sql")
            merge_into_target = RedshiftMergeOperator(  # its lineage: the tables in params
                task_id="merge_into_target",
                sql=merge_sql,  # a list runs as one BatchExecuteStatement: one transaction
                aws_conn_id=Conn.AWS,
                deferrable=True,
                **REDSHIFT_DATA_API,
            )
            check_target_keys = SQLColumnCheckOperator(
                task_id="check_target_keys",
                table=f"{SCHEMA}.{table.name}",
                column_mapping={
                    table.key_column: {
                        "null_check": {"equal_to": 0},
                        "unique_check": {"equal_to": 0},
                    }
                },
                conn_id=Conn.REDSHIFT_SQL,
            )
            check_reconciles = SQLCheckOperator(
                task_id="check_reconciles",
                sql=f"tickit/checks/reconciles_{'interval' if is_fact else 'snapshot'}.sql",
                conn_id=Conn.REDSHIFT_SQL,
                outlets=[table.asset],
            )
            chain(
                ensure_tables,
                copy_to_staging,
                staging_checks,
                merge_into_target,
                check_target_keys,
                check_reconciles,
            )
            # The SQL templates and the merge's lineage read the table from params. Given
            # once built, not to each constructor, which copies and re-merges them at every
            # level of its class (3 per task, issue 26); each task holds the same params.
            params = table.task_params()
            for task in (ensure_tables, *staging_checks, merge_into_target, check_reconciles):
                task.params = params
        chain(create_schema, lane)


if __name__ == "__main__":
    dag.test()
