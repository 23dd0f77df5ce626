"""
### Data lake bronze: land each night's source extracts in the lake

Nightly, for the day that just ended: waits for the TICKIT extracts and the
Synthea CSV export in the landing bucket, copies each object unchanged into the
lake's bronze zone under `bronze/<source>/<table>/load_date=<day>/` (a re-run
overwrites the same keys), crawls the Synthea CSV (new load_date folders only)
and updates one Asset per bronze table, with the load date in the event's extra.
`data_lake__silver` runs on those Assets. See docs/data_lake.md.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.amazon.aws.operators.s3 import S3CopyObjectOperator
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.sdk import DAG, chain, task

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
from lakehouse.data_lake import CRAWLED_BRONZE, SOURCE_TABLES, crawl_task

DAG_ID = "data_lake__bronze"
DS = "{{ data_interval_start | ds }}"

with DAG(
    dag_id=DAG_ID,
    description="Nightly copy of the TICKIT and Synthea extracts into the lake's bronze zone",
    doc_md=__doc__,
    schedule=NIGHTLY,
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=MAX_ACTIVE_RUNS,
    dagrun_timeout=timedelta(hours=4),
    default_args=DEFAULT_ARGS,
    tags=[Tag.PROJECT, Tag.DATA_LAKE, Tag.TICKIT, Tag.SYNTHEA, Tag.GLUE, Tag.NIGHTLY],
) as dag:
    wait_for_extracts = S3KeySensor(
        task_id="wait_for_extracts",
        aws_conn_id=Conn.AWS,
        bucket_name=var(Var.LANDING_BUCKET),
        bucket_key=[table.landing_key(DS) for table in SOURCE_TABLES],
        deferrable=True,
        poke_interval=300,  # the landing is usually there already: the first poke succeeds
        timeout=int(timedelta(hours=3).total_seconds()),
    )
    copies = [
        S3CopyObjectOperator(
            task_id=f"copy_{table.source}_{table.name}",
            source_bucket_name=var(Var.LANDING_BUCKET),
            source_bucket_key=table.landing_key(DS),
            dest_bucket_name=var(Var.LAKE_BUCKET),
            dest_bucket_key=table.bronze_key(DS),
            aws_conn_id=Conn.AWS,
        )
        for table in SOURCE_TABLES
    ]
    crawl = crawl_task(
        "bronze",
        var(Var.LAKE_BRONZE_CRAWLER),
        var(Var.LAKE_BRONZE_DATABASE),
        [table.bronze_prefix for table in CRAWLED_BRONZE],
        new_folders_only=True,
    )

    # multiple_outputs stated: inferring it evaluates the return annotation at every parse.
    @task(outlets=[table.bronze_asset for table in SOURCE_TABLES], multiple_outputs=False)
    def publish_bronze(data_interval_start=None, outlet_events=None) -> str:
        """Update every bronze Asset; the extra tells silver which load_date to refine."""
        load_date = data_interval_start.strftime("%Y-%m-%d")
        for table in SOURCE_TABLES:
            outlet_events[table.bronze_asset].extra = {"load_date": load_date}
        return load_date

    chain(wait_for_extracts, copies, crawl, publish_bronze())


if __name__ == "__main__":
    dag.test()
