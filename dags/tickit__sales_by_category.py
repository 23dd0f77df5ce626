"""
### TICKIT sales by category: Redshift to the data lake

Runs when every table the aggregate reads has been merged by
`tickit__redshift_load`. It UNLOADs the gold aggregate
(`sql/tickit/unload/sales_by_category.sql`) as Parquet partitioned by
category group and name, has a Glue crawler catalog it, and reads it back
through Athena to prove files, partitions and catalog agree.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.amazon.aws.operators.athena import AthenaOperator
from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerOperator
from airflow.providers.amazon.aws.transfers.redshift_to_s3 import RedshiftToS3Operator
from airflow.sdk import DAG, chain, task

from lakehouse.athena import result_rows
from lakehouse.conventions import (
    CATCHUP,
    MAX_ACTIVE_RUNS,
    REDSHIFT_TARGET,
    START_DATE,
    Conn,
    Tag,
    Team,
    Var,
    owned_by,
    sql_searchpath,
    var,
)
from lakehouse.data_lake import LAKE_URI, crawler_config
from lakehouse.tickit import GOLD_SALES_BY_CATEGORY_PREFIX, SALES_BY_CATEGORY, TABLES_BY_NAME

DAG_ID = "tickit__sales_by_category"
SOURCE_TABLES = ("sales", "listing", "users", "event", "date", "category")

with DAG(
    dag_id=DAG_ID,
    description="UNLOAD TICKIT sales by category to the lake as Parquet; crawl; verify in Athena",
    doc_md=__doc__,
    schedule=[TABLES_BY_NAME[name].asset for name in SOURCE_TABLES],
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=MAX_ACTIVE_RUNS,
    dagrun_timeout=timedelta(hours=2),
    default_args=owned_by(Team.ANALYTICS_ENGINEERING),
    tags=[Tag.PROJECT, Tag.TICKIT, Tag.REDSHIFT, Tag.DATA_LAKE, Tag.GLUE, Tag.ATHENA],
    template_searchpath=sql_searchpath(__file__),
) as dag:
    unload = RedshiftToS3Operator(
        task_id="unload_sales_by_category",
        select_query="tickit/unload/sales_by_category.sql",
        s3_bucket=var(Var.LAKE_BUCKET),
        s3_key=GOLD_SALES_BY_CATEGORY_PREFIX,
        # CLEANPATH: the aggregate is rebuilt whole, so stale partitions go.
        unload_options=["FORMAT AS PARQUET", "PARTITION BY (catgroup, catname)", "CLEANPATH"],
        table_as_file_name=False,
        redshift_conn_id=Conn.AWS,
        aws_conn_id=Conn.REDSHIFT_S3_ROLE,
        redshift_data_api_kwargs=REDSHIFT_TARGET,
    )
    crawl = GlueCrawlerOperator(
        task_id="crawl_sales_by_category",
        # The UNLOAD replaces the aggregate whole: crawled whole, catalog updated in place.
        config=crawler_config(
            var(Var.TICKIT_GOLD_CRAWLER),
            var(Var.GLUE_DATABASE),
            [GOLD_SALES_BY_CATEGORY_PREFIX],
            new_folders_only=False,
        ),
        aws_conn_id=Conn.AWS,
        deferrable=True,
        poll_interval=15,
    )
    query = AthenaOperator(
        task_id="query_with_athena",
        query="tickit/athena/verify_sales_by_category.sql",
        database=var(Var.GLUE_DATABASE),
        workgroup=var(Var.ATHENA_WORKGROUP),
        output_location=LAKE_URI + "athena-results/",
        aws_conn_id=Conn.AWS,
        deferrable=True,
        sleep_time=10,
    )

    @task(outlets=[SALES_BY_CATEGORY])
    def verify_athena_result(query_execution_id: str) -> dict:
        """Fail unless Athena reads rows back from the crawled table."""
        # Used only here: imported when the task runs, not on every parse.
        from airflow.providers.amazon.aws.hooks.athena import AthenaHook

        response = AthenaHook(aws_conn_id=Conn.AWS).get_query_results(query_execution_id)
        (summary,) = result_rows(response)
        if not summary["sales_rows"] or int(summary["sales_rows"]) == 0:
            raise ValueError(
                f"Athena read no rows from sales_by_category ({GOLD_SALES_BY_CATEGORY_PREFIX}): "
                "the UNLOAD wrote nothing or the crawler did not catalog it"
            )
        return summary

    chain(unload, crawl, query, verify_athena_result(query.output))


if __name__ == "__main__":
    dag.test()
