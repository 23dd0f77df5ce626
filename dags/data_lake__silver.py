"""
### Data lake silver: refine bronze into typed, deduplicated Parquet (PySpark)

Runs when every bronze Asset was updated. The load date comes from the newest
bronze Asset event (a manual run without events refines the night before its
logical date). One EMR Serverless job run per source table
(`spark/jobs/silver_synthea.py`, `spark/jobs/silver_tickit.py`) on the
environment's long-lived application, each waited for in the triggerer with a
budget sized from the job's expected run time; killing a task cancels its job
run. Then the silver zone is crawled and the silver Assets are updated.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, chain, task

from lakehouse.conventions import (
    CATCHUP,
    DEFAULT_ARGS,
    MAX_ACTIVE_RUNS,
    START_DATE,
    Tag,
    Var,
    var,
)
from lakehouse.data_lake import SOURCE_TABLES, crawl_task, silver_jobs, spark_task

DAG_ID = "data_lake__silver"

with DAG(
    dag_id=DAG_ID,
    description="PySpark on EMR Serverless: bronze extracts to typed, deduplicated silver Parquet",
    doc_md=__doc__,
    schedule=[table.bronze_asset for table in SOURCE_TABLES],
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=MAX_ACTIVE_RUNS,
    dagrun_timeout=timedelta(hours=6),
    default_args=DEFAULT_ARGS,
    tags=[Tag.PROJECT, Tag.DATA_LAKE, Tag.SPARK, Tag.EMR_SERVERLESS, Tag.GLUE],
) as dag:

    @task
    def resolve_load_date(triggering_asset_events=None, logical_date=None, run_after=None) -> str:
        """The bronze load_date to refine: the newest one the triggering events carry."""
        dates = [
            event.extra["load_date"]
            for events in (triggering_asset_events or {}).values()
            for event in events
            if (event.extra or {}).get("load_date")
        ]
        if dates:
            return max(dates)
        return ((logical_date or run_after) - timedelta(days=1)).strftime("%Y-%m-%d")

    jobs = [spark_task(job) for job in silver_jobs()]
    crawl = crawl_task(
        "silver",
        var(Var.LAKE_SILVER_CRAWLER),
        var(Var.LAKE_SILVER_DATABASE),
        [table.silver_prefix for table in SOURCE_TABLES],
        new_folders_only=False,
    )

    @task(outlets=[table.silver_asset for table in SOURCE_TABLES])
    def publish_silver(load_date: str) -> str:
        """Update the silver Assets once every table is refined and crawled."""
        return load_date

    load_date = resolve_load_date()
    chain(load_date, jobs, crawl, publish_silver(load_date))


if __name__ == "__main__":
    dag.test()
