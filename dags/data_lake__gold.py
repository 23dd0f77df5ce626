"""
### Data lake gold: the Synthea study tables and TICKIT sales (PySpark), verified in Athena

Runs when every silver Asset was updated. Four EMR Serverless job runs rebuild
the gold tables from the whole silver tables (the Synthea cases of
docs/data_lake.md#the-gold-specs and the TICKIT sales by category / by date),
each replacing its output as a whole. The
gold zone is crawled, Athena reads every table back (`sql/data_lake/athena/`),
and the last task fails if a gold table is empty or the catalog lacks partitions
the data has.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.amazon.aws.operators.athena import AthenaOperator
from airflow.sdk import DAG, chain, task

from lakehouse.athena import result_rows
from lakehouse.conventions import (
    CATCHUP,
    MAX_ACTIVE_RUNS,
    START_DATE,
    Conn,
    Tag,
    Team,
    Var,
    owned_by,
    sql_searchpath,
    var,
)
from lakehouse.data_lake import (
    GOLD_TABLES,
    LAKE_URI,
    SOURCE_TABLES,
    crawl_task,
    gold_jobs,
    spark_task,
)

DAG_ID = "data_lake__gold"

with DAG(
    dag_id=DAG_ID,
    description="PySpark on EMR Serverless: silver to gold study and sales tables; Athena check",
    doc_md=__doc__,
    schedule=[table.silver_asset for table in SOURCE_TABLES],
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=MAX_ACTIVE_RUNS,
    dagrun_timeout=timedelta(hours=6),
    default_args=owned_by(Team.ANALYTICS_ENGINEERING),
    tags=[Tag.PROJECT, Tag.DATA_LAKE, Tag.SPARK, Tag.EMR_SERVERLESS, Tag.GLUE, Tag.ATHENA],
    template_searchpath=sql_searchpath(__file__),
) as dag:
    jobs = [spark_task(job) for job in gold_jobs()]
    crawl = crawl_task(
        "gold",
        var(Var.LAKE_GOLD_CRAWLER),
        var(Var.LAKE_GOLD_DATABASE),
        [table.prefix for table in GOLD_TABLES],
        new_folders_only=False,
    )
    queries = [
        AthenaOperator(
            task_id=f"athena_{table.name}",
            query=table.athena_sql,
            database=var(Var.LAKE_GOLD_DATABASE),
            workgroup=var(Var.ATHENA_WORKGROUP),
            output_location=LAKE_URI + "athena-results/",
            aws_conn_id=Conn.AWS,
            deferrable=True,
            sleep_time=10,
        )
        for table in GOLD_TABLES
    ]

    @task(outlets=[table.asset for table in GOLD_TABLES])
    def verify_gold(query_ids: dict[str, str], database: str) -> dict[str, dict]:
        """Fail if a gold table is empty or the catalog misses partitions the data has."""
        # Hooks used only here: imported when the task runs, not on every parse.
        from airflow.providers.amazon.aws.hooks.athena import AthenaHook
        from airflow.providers.amazon.aws.hooks.glue_catalog import GlueCatalogHook

        athena = AthenaHook(aws_conn_id=Conn.AWS)
        glue = GlueCatalogHook(aws_conn_id=Conn.AWS)
        summary, problems = {}, []
        for table in GOLD_TABLES:
            (row,) = result_rows(athena.get_query_results(query_ids[table.name]))
            rows, partitions = int(row["gold_rows"] or 0), int(row["partition_count"] or 0)
            cataloged = (
                len(glue.get_partitions(database, table.name)) if table.partition_keys else 0
            )
            summary[table.name] = {"rows": rows, "partitions": partitions, "cataloged": cataloged}
            if rows == 0:
                problems.append(f"{table.name}: no rows")
            if table.partition_keys and (partitions == 0 or cataloged < partitions):
                problems.append(
                    f"{table.name}: {partitions} partitions in the data, {cataloged} cataloged"
                )
        if problems:
            raise ValueError("gold tables failed verification: " + "; ".join(problems))
        return summary

    verify = verify_gold(
        {table.name: query.output for table, query in zip(GOLD_TABLES, queries)},
        database=var(Var.LAKE_GOLD_DATABASE),
    )
    chain(jobs, crawl, queries, verify)


if __name__ == "__main__":
    dag.test()
