"""The data lake: job files in the MWAA bucket, the EMR Serverless application, Synthea CSV.

Provisions what the deploy puts outside the stack (its copy of spark/ under the MWAA
bucket's dags/spark/; the stack made the application and the Glue databases), and
starts the local SparkSession in the background so its JVM start overlaps the rest of
the set-up. TICKIT extracts are landed by the tickit domain.
"""

from __future__ import annotations

import io
from datetime import date
from functools import cache

import pyarrow.parquet as pq

from deploy.sample_data import synthea
from devkit.domains import LocalDomain
from devkit.emulator.emr_serverless import local_spark
from devkit.emulator.s3 import store as s3store
from devkit.iam.policies import template_name
from devkit.paths import SPARK_DIR, SQL_DIR
from lakehouse.athena import result_rows
from lakehouse.conventions import Var
from lakehouse.data_lake import GOLD_TABLES, SOURCE_TABLES, SYNTHEA_TABLES

DATABASES = {"bronze": "lake_bronze", "silver": "lake_silver", "gold": "lake_gold"}
# Synthea rows relative to the generator's default (0.002 of the reference: ~2,500
# encounters, ~10,000 observations), times the run's --scale.
SYNTHEA_SCALE = synthea.DEFAULT_SCALE

# What selects this family's tests in the gate (devkit/domains/families.py reads these
# literals without importing this module): EMR Serverless Spark jobs on Synthea and on
# TICKIT's extracts (so TICKIT's registration, sample data and helpers too).
GATE_PATHS = (
    "dags/data_lake__*",
    "dags/lakehouse/data_lake.py",
    "dags/lakehouse/tickit.py",
    "dags/lakehouse/athena.py",  # its gold is read back through Athena
    "sql/data_lake/**",
    "spark/**",
    "devkit/domains/data_lake.py",
    "devkit/domains/tickit.py",
    "deploy/sample_data/synthea.py",
    "deploy/sample_data/tickit.py",
    "devkit/emulator/emr_serverless/**",
    "devkit/emulator/athena/table_metadata.py",
    # The database bootstrap: every local pipeline with the warehouse runs it.
    "deploy/redshift_bootstrap.py",
    "sql/redshift_bootstrap/**",
    "devkit/emulator/redshift/users.py",
)
GATE_TESTS = (
    "tests/dags/test_data_lake__*.py",
    "tests/spark/**",
    "tests/devkit/emulator/emr_serverless/**",
    "tests/deploy/sample_data/test_synthea.py",
)


@cache
def synthea_export(scale: float) -> dict[str, bytes]:
    return synthea.generate(scale=SYNTHEA_SCALE * scale)


def spark_files() -> dict[str, bytes]:
    """What the deploy tool uploads: spark/** -> dags/spark/** (no caches)."""
    return {
        "dags/spark/" + path.relative_to(SPARK_DIR).as_posix(): path.read_bytes()
        for path in sorted(SPARK_DIR.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


class DataLake(LocalDomain):
    name = "data_lake"
    needs = ("tickit",)  # bronze copies the TICKIT extracts the tickit domain lands

    def provision(self, env) -> None:
        """The deploy's copy of spark/ in the stack's MWAA bucket (the stack made the
        bucket, the EMR Serverless application and the Glue databases)."""
        local_spark.warm_up()
        mwaa = env.names.bucket("mwaa")
        for key, body in spark_files().items():
            env.aws.put_object(mwaa, key, body)

    def variables(self, env) -> dict[str, str]:
        aws, names = env.aws, env.names
        return {
            Var.MWAA_BUCKET: names.bucket("mwaa"),
            Var.EMR_JOB_ROLE_ARN: f"arn:aws:iam::{aws.account_id}:role/local-emr-serverless-job",
            Var.EMR_LOG_URI: f"s3://{names.lake_bucket}/emr-serverless-logs/",
            Var.LAKE_BRONZE_DATABASE: names.database(DATABASES["bronze"]),
            Var.LAKE_SILVER_DATABASE: names.database(DATABASES["silver"]),
            Var.LAKE_GOLD_DATABASE: names.database(DATABASES["gold"]),
            # The stack's crawlers.
            Var.LAKE_BRONZE_CRAWLER: template_name("LakeBronzeCrawler", names.project),
            Var.LAKE_SILVER_CRAWLER: template_name("LakeSilverCrawler", names.project),
            Var.LAKE_GOLD_CRAWLER: template_name("LakeGoldCrawler", names.project),
        }

    def land(self, env, days: list[date]) -> int:
        """Each night a full Synthea export (Synthea exports are snapshots)."""
        count = 0
        for day in days:
            for table in SYNTHEA_TABLES:
                key = f"synthea/{table}/ds={day.isoformat()}/{table}.csv"
                env.aws.put_object(env.names.landing_bucket, key, synthea_export(env.scale)[table])
                count += 1
        return count

    def effects(self, env) -> dict[str, object]:
        lake = env.names.lake_bucket
        outputs = {f"silver/{t.source}/{t.name}/": t.name for t in SOURCE_TABLES}
        outputs.update({t.prefix: t.name for t in GOLD_TABLES})
        silver, gold = {}, {}
        for prefix in outputs:
            counts = parquet_counts(lake, prefix)
            if counts:
                (gold if prefix.startswith("gold/") else silver)[prefix.rstrip("/")] = counts
        return {
            "Lake silver (rows, partitions)": silver,
            "Lake gold (rows, partitions)": gold,
            "Lake EMR Serverless job runs": job_run_states(env),
            "Lake Athena read-back of gold": athena_results(env),
        }


def parquet_counts(bucket: str, prefix: str) -> tuple[int, int] | None:
    """(rows, Hive partitions) of the Parquet objects under a prefix, read from the footers.

    Straight from the emulation's store: hundreds of GetObject calls over HTTP cost
    seconds of a run's summary.
    """
    rows, partitions = 0, set()
    keys = [k for k in s3store.list_keys(bucket, prefix) if k.endswith(".parquet")]
    if not keys:
        return None
    for key in keys:
        rows += pq.read_metadata(io.BytesIO(s3store.get_bytes(bucket, key))).num_rows
        folders = [f for f in key[len(prefix) :].split("/")[:-1] if "=" in f]
        if folders:
            partitions.add("/".join(folders))
    return rows, len(partitions)


def job_run_states(env) -> dict[str, int]:
    app = env.variables.get(Var.EMR_SERVERLESS_APPLICATION_ID)  # the stack's application
    if not app:
        return {}
    runs = env.aws.client("emr-serverless").list_job_runs(applicationId=app)["jobRuns"]
    states: dict[str, int] = {}
    for run in runs:
        states[run["state"]] = states.get(run["state"], 0) + 1
    return states


def athena_results(env) -> dict[str, dict]:
    """Each gold verification query (sql/data_lake/athena/) run once more, for the summary."""
    glue, athena = env.aws.client("glue"), env.aws.client("athena")
    database = env.names.database(DATABASES["gold"])
    cataloged = {t["Name"] for t in glue.get_tables(DatabaseName=database)["TableList"]}
    results = {}
    for table in GOLD_TABLES:
        if table.name not in cataloged:
            continue
        sql = (SQL_DIR / table.athena_sql).read_text()
        query_id = athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": database},
            ResultConfiguration={"OutputLocation": f"s3://{env.names.lake_bucket}/athena-results/"},
        )["QueryExecutionId"]
        state = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        if state["State"] != "SUCCEEDED":
            results[table.name] = {"error": state.get("StateChangeReason", state["State"])}
            continue
        (row,) = result_rows(athena.get_query_results(QueryExecutionId=query_id))
        results[table.name] = row
    return results


DOMAIN = DataLake()
