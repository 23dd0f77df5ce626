"""The data lake: its tables per zone, their S3 layout and Assets, and the Spark job specs.

One registry drives the three `data_lake__*` DAGs, the local domain
(devkit/domains/data_lake.py) and the tests, so a table or job is declared once.
Zones live in the lake bucket: `bronze/<source>/<table>/load_date=<ds>/` (the landed
files, as they came), `silver/<source>/<table>/` (typed, deduplicated Snappy Parquet)
and `gold/<product>/<table>/`. Nothing here does I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from airflow.providers.amazon.aws.operators.emr import EmrServerlessStartJobOperator
from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerOperator
from airflow.sdk import Asset

from lakehouse.conventions import Conn, Var, var
from lakehouse.tickit import TABLES as TICKIT_TABLES

SYNTHEA = "synthea"
TICKIT = "tickit"
SYNTHEA_TABLES = ("patients", "encounters", "conditions", "observations")
# The Spark aggregates of TICKIT; `gold/tickit/` belongs to the Redshift UNLOAD
# (tickit__sales_by_category), so the lake's own product has its own folder.
GOLD_TICKIT = "tickit_lake"

LAKE_URI = "s3://" + var(Var.LAKE_BUCKET) + "/"
# The deploy tool uploads the repository's spark/ to the MWAA bucket's dags/spark/.
JOBS_URI = "s3://" + var(Var.MWAA_BUCKET) + "/dags/spark/jobs/"
EMR_RELEASE = "emr-7.13.0"  # Spark 3.5.6; the application is created outside the DAGs


@dataclass(frozen=True)
class SourceTable:
    """A source table landed nightly and kept in bronze and silver."""

    source: str
    name: str

    def landing_key(self, ds: str) -> str:
        """The one landed object of a night (the producers' naming contract)."""
        if self.source == SYNTHEA:
            return f"{SYNTHEA}/{self.name}/ds={ds}/{self.name}.csv"
        return f"{TICKIT}/{self.name}/ds={ds}/part-0000.txt.gz"

    @property
    def bronze_prefix(self) -> str:
        return f"bronze/{self.source}/{self.name}/"

    def bronze_key(self, ds: str) -> str:
        """Hive-style load_date folders: the crawler makes them partitions."""
        filename = self.landing_key(ds).rsplit("/", 1)[-1]
        return f"{self.bronze_prefix}load_date={ds}/{filename}"

    def bronze_uri(self, ds: str) -> str:
        """The load_date folder of one night in bronze: what the silver job reads."""
        return f"{LAKE_URI}{self.bronze_prefix}load_date={ds}/"

    @property
    def silver_prefix(self) -> str:
        return f"silver/{self.source}/{self.name}/"

    @property
    def bronze_asset(self) -> Asset:
        return Asset(name=f"s3.lake.{self.bronze_prefix.rstrip('/')}")

    @property
    def silver_asset(self) -> Asset:
        return Asset(name=f"s3.lake.{self.silver_prefix.rstrip('/')}")


SOURCE_TABLES: tuple[SourceTable, ...] = tuple(
    SourceTable(SYNTHEA, name) for name in SYNTHEA_TABLES
) + tuple(SourceTable(TICKIT, table.name) for table in TICKIT_TABLES)
# TICKIT bronze is header-less pipe-delimited gzip; its schema lives in the silver job,
# so only the Synthea CSV (with headers) is crawled in bronze.
CRAWLED_BRONZE = tuple(t for t in SOURCE_TABLES if t.source == SYNTHEA)


@dataclass(frozen=True)
class GoldTable:
    """A gold output: its folder, its Glue partition keys and its verification SQL."""

    product: str
    name: str
    partition_keys: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        return f"gold/{self.product}/{self.name}/"

    @property
    def uri(self) -> str:
        return LAKE_URI + self.prefix

    @property
    def asset(self) -> Asset:
        return Asset(name=f"s3.lake.{self.prefix.rstrip('/')}")

    @property
    def athena_sql(self) -> str:
        return f"data_lake/athena/verify_{self.name}.sql"


DAY = ("year", "month", "day")
GOLD_TABLES: tuple[GoldTable, ...] = (
    GoldTable(SYNTHEA, "encounters_for_symptom", DAY),
    GoldTable(SYNTHEA, "observations", DAY),
    GoldTable(SYNTHEA, "sinusitis_study"),
    GoldTable(GOLD_TICKIT, "sales_by_category", ("catgroup", "catname")),
    GoldTable(GOLD_TICKIT, "sales_by_date", ("year", "month")),
)
GOLD_BY_NAME = {table.name: table for table in GOLD_TABLES}


def silver_uri(source: str, name: str = "") -> str:
    return f"{LAKE_URI}silver/{source}/{name}".rstrip("/")


@dataclass(frozen=True)
class SparkJob:
    """One EMR Serverless job run: its file under spark/jobs/, arguments and size.

    `expected_minutes` is the run time at production scale; the wait budget is three
    times that plus ten minutes of queueing and start-up, so a slow night is waited
    for (never reported failed while it still runs) and a hung one is cancelled.
    """

    task_id: str
    script: str
    arguments: tuple[str, ...]
    expected_minutes: int
    executor_memory: str = "4g"
    max_executors: int = 10
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def entry_point(self) -> str:
        return f"{JOBS_URI}{self.script}.py"

    @property
    def waiter_delay(self) -> int:
        """Seconds between GetJobRun polls: about 1/20 of the expected run time."""
        return max(30, min(120, self.expected_minutes * 3))

    @property
    def budget_minutes(self) -> int:
        """How long a run may take, queueing included: three times the expected time + 10."""
        return 3 * self.expected_minutes + 10

    @property
    def waiter_max_attempts(self) -> int:
        return math.ceil(self.budget_minutes * 60 / self.waiter_delay)

    @property
    def execution_timeout_minutes(self) -> int:
        """EMR Serverless's own backstop: it cancels the run after the wait budget.

        The deferred wait cancels the run when it gives up, but a task that dies another
        way (worker lost, task timeout, trigger killed) would leave the job running and
        billing; EMR stops it here by itself, whatever happened to Airflow.
        """
        return self.budget_minutes

    @property
    def spark_submit_parameters(self) -> str:
        conf = {
            "spark.executor.cores": "2",
            "spark.executor.memory": self.executor_memory,
            "spark.dynamicAllocation.maxExecutors": str(self.max_executors),
            "spark.sql.shuffle.partitions": "64",
            **self.extra,
        }
        return " ".join(f"--conf {key}={value}" for key, value in conf.items())

    def job_driver(self) -> dict:
        return {
            "sparkSubmit": {
                "entryPoint": self.entry_point,
                "entryPointArguments": list(self.arguments),
                "sparkSubmitParameters": self.spark_submit_parameters,
            }
        }


class LakeSparkJobOperator(EmrServerlessStartJobOperator):
    """EmrServerlessStartJobOperator that names the job's own error when it fails.

    The stock `execute_complete` cancels the run and raises a generic message; the
    trigger's event carries the job's stateDetails, which the task log and the failure
    alert should show. Everything else (deferral, on_kill, cancel_on_kill) is unchanged.
    """

    def execute_complete(self, context, event: dict[str, Any] | None = None):
        if event and event.get("status") != "success":
            self.log.error("EMR Serverless job run failed: %s", event.get("message"))
            try:
                return super().execute_complete(context, event)
            except Exception as error:
                raise RuntimeError(f"{error}: {event.get('message')}") from None
        return super().execute_complete(context, event)


def spark_task(job: SparkJob, **kwargs) -> LakeSparkJobOperator:
    """The EMR Serverless task of a job: application, role and log URI from Variables."""
    return LakeSparkJobOperator(
        task_id=job.task_id,
        name=f"{job.task_id}.{{{{ run_id }}}}",
        application_id=var(Var.EMR_SERVERLESS_APPLICATION_ID),
        execution_role_arn=var(Var.EMR_JOB_ROLE_ARN),
        job_driver=job.job_driver(),
        configuration_overrides={
            "monitoringConfiguration": {
                "s3MonitoringConfiguration": {"logUri": var(Var.EMR_LOG_URI)}
            }
        },
        config={"executionTimeoutMinutes": job.execution_timeout_minutes},
        waiter_delay=job.waiter_delay,
        waiter_max_attempts=job.waiter_max_attempts,
        deferrable=True,
        aws_conn_id=Conn.AWS,
        **kwargs,
    )


LOAD_DATE = "{{ ti.xcom_pull(task_ids='resolve_load_date') }}"
SILVER_EXPECTED_MINUTES = {"observations": 20, "encounters": 10, "sales": 5, "listing": 5}


def silver_jobs() -> list[SparkJob]:
    """One job per source table: bronze load_date folder -> silver table."""
    jobs = []
    for table in SOURCE_TABLES:
        jobs.append(
            SparkJob(
                task_id=f"silver_{table.source}_{table.name}",
                script=f"silver_{table.source}",
                arguments=(
                    "--table",
                    table.name,
                    "--input",
                    table.bronze_uri(LOAD_DATE),
                    "--output",
                    silver_uri(table.source, table.name),
                    "--load-date",
                    LOAD_DATE,
                ),
                expected_minutes=SILVER_EXPECTED_MINUTES.get(table.name, 3),
            )
        )
    return jobs


def gold_output(name: str) -> str:
    """Where a gold job writes a table (no trailing slash: Spark's output path)."""
    return GOLD_BY_NAME[name].uri.rstrip("/")


def synthea_case(name: str, inputs: dict[str, str], expected_minutes: int, **size) -> SparkJob:
    """The job `gold_<name>`: silver Synthea tables in (`{flag: table}`), one gold table out."""
    arguments = [
        part for flag, table in inputs.items() for part in (flag, silver_uri(SYNTHEA, table))
    ]
    return SparkJob(
        task_id=f"gold_{name}",
        script=f"gold_{name}",
        arguments=(*arguments, "--output", gold_output(name)),
        expected_minutes=expected_minutes,
        **size,
    )


def synthea_gold_jobs() -> list[SparkJob]:
    """The three Synthea study cases (docs/data_lake.md#the-gold-specs), one job each."""
    return [
        synthea_case("encounters_for_symptom", {"--input": "encounters"}, expected_minutes=10),
        synthea_case(
            "observations",
            {"--input": "observations"},
            expected_minutes=25,
            executor_memory="8g",
            max_executors=20,
        ),
        synthea_case(
            "sinusitis_study",
            {"--input": "conditions", "--patients": "patients"},
            expected_minutes=5,
        ),
    ]


def tickit_gold_job() -> SparkJob:
    """The lake's TICKIT sales aggregates: one job, two tables (by category, by date)."""
    return SparkJob(
        task_id="gold_tickit_sales",
        script="gold_tickit_sales",
        arguments=(
            "--silver",
            silver_uri(TICKIT),
            "--output-by-category",
            gold_output("sales_by_category"),
            "--output-by-date",
            gold_output("sales_by_date"),
        ),
        expected_minutes=5,
    )


def gold_jobs() -> list[SparkJob]:
    """Every job of data_lake__gold: the Synthea cases and the TICKIT aggregates."""
    return [*synthea_gold_jobs(), tickit_gold_job()]


def crawler_config(name: str, database: str, prefixes: list[str], new_folders_only: bool) -> dict:
    """A Glue crawler over some lake folders, one table per folder.

    Append-only layouts (bronze load_date folders) re-crawl new folders only, which AWS
    allows only with a LOG/LOG schema change policy; outputs that runs replace are
    crawled whole and update the catalog in place (removed objects: deprecated tables).
    """
    if new_folders_only:
        schema_policy = {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
        recrawl = "CRAWL_NEW_FOLDERS_ONLY"
    else:
        schema_policy = {
            "UpdateBehavior": "UPDATE_IN_DATABASE",
            "DeleteBehavior": "DEPRECATE_IN_DATABASE",
        }
        recrawl = "CRAWL_EVERYTHING"
    return {
        "Name": name,
        "Role": var(Var.GLUE_CRAWLER_ROLE_ARN),
        "DatabaseName": database,
        "Targets": {"S3Targets": [{"Path": LAKE_URI + prefix} for prefix in prefixes]},
        "SchemaChangePolicy": schema_policy,
        "RecrawlPolicy": {"RecrawlBehavior": recrawl},
        # Partitions inherit the table's schema: one schema per table, not per folder.
        "Configuration": (
            '{"Version": 1.0, "CrawlerOutput": {"Partitions": '
            '{"AddOrUpdateBehavior": "InheritFromTable"}}}'
        ),
    }


def crawl_task(
    zone: str, crawler: str, database: str, prefixes: list[str], new_folders_only: bool
) -> GlueCrawlerOperator:
    """The deferrable crawl of one lake zone (task `crawl_<zone>`): the stack's crawler."""
    return GlueCrawlerOperator(
        task_id=f"crawl_{zone}",
        config=crawler_config(crawler, database, prefixes, new_folders_only),
        aws_conn_id=Conn.AWS,
        deferrable=True,
        poll_interval=15,
    )
