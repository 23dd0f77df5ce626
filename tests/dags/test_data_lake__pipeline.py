"""data_lake__bronze -> data_lake__silver -> data_lake__gold, run with dag.test() on the emulation.

The lake is the session's first night's (tests/conftest.py `first_night`, also
tests/devkit/run/test_local_up.py's: deploy up's sample night, smallest data, every DAG
run as the run command runs them), so the lake's jobs run once per gate: the EMR
Serverless job runs execute the real job files from the emulated MWAA bucket in the one
local SparkSession. A test that changes the lake puts it back.
Asserts the job-run requests, the crawler configurations, what Athena reads back from
gold, files per partition, that a failing job run fails its task and alerts, what
the DataHub S3 recipes (run by datahub__ingest_metadata's ECS tasks) make of the lake
the jobs wrote, and that taking away one permission the run used (S3, Glue, EMR
Serverless) is a named denial.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, NamedTuple

import pytest

from devkit.domains import datahub
from devkit.domains.data_lake import parquet_counts
from devkit.iam.policies import denials_without
from lakehouse.conventions import Var
from lakehouse.data_lake import (
    GOLD_TABLES,
    SOURCE_TABLES,
    SYNTHEA,
    TICKIT,
    gold_jobs,
    silver_jobs,
)
from lakehouse.tickit import GOLD_SALES_BY_CATEGORY_PREFIX
from tests.spark.conftest import load_job

pytestmark = pytest.mark.integration

DAY = date(2008, 1, 1)


LAKE_DAGS = ("data_lake__bronze", "data_lake__silver", "data_lake__gold")


@pytest.fixture(scope="module")
def lake(first_night):
    """The lake of the session's first night (tests/conftest.py `first_night`: deploy up's
    sample night, every DAG run as the run command runs them): its pipeline, the three
    DAGs' results, and the job runs they made (before any test here adds one)."""
    _, pipeline, results, *_ = first_night
    by_dag = {result.dag_id: result for result in results}
    return Lake(pipeline, {dag_id: by_dag[dag_id] for dag_id in LAKE_DAGS}, job_runs(pipeline))


class Lake(NamedTuple):
    pipeline: Any  # the first night's LocalPipeline
    results: dict[str, Any]  # dag_id -> its DagRunResult, for the three DAGs
    job_runs: list[dict]  # the EMR Serverless job runs of the night (GetJobRun)


def job_runs(pipeline) -> list[dict]:
    client = pipeline.aws.client("emr-serverless")
    app = pipeline.variables[Var.EMR_SERVERLESS_APPLICATION_ID]
    return [
        client.get_job_run(applicationId=app, jobRunId=run["id"])["jobRun"]
        for run in client.list_job_runs(applicationId=app)["jobRuns"]
    ]


def test_every_task_of_the_three_dags_succeeds(lake):
    results = lake.results
    for dag_id, result in results.items():
        assert result.state == "success", (dag_id, [(t.task_id, t.log) for t in result.failed])


def test_bronze_copies_each_landed_object_under_its_load_date(lake):
    pipeline = lake.pipeline
    keys = set(pipeline.aws.list_keys(pipeline.names.lake_bucket, "bronze/"))
    assert keys == {table.bronze_key(DAY.isoformat()) for table in SOURCE_TABLES}


def test_job_run_requests_name_entry_point_arguments_role_and_log_uri(lake):
    pipeline = lake.pipeline
    runs = {run["name"].split(".")[0]: run for run in lake.job_runs}
    expected = {job.task_id: job for job in silver_jobs() + gold_jobs()}
    assert set(runs) == set(expected)
    lake_uri = f"s3://{pipeline.names.lake_bucket}/"
    for task_id, run in runs.items():
        job = expected[task_id]
        assert run["state"] == "SUCCESS", (task_id, run.get("stateDetails"))
        assert run["executionRole"] == pipeline.variables["emr_job_role_arn"]
        driver = run["jobDriver"]["sparkSubmit"]
        assert driver["entryPoint"] == (
            f"s3://{pipeline.names.bucket('mwaa')}/dags/spark/jobs/{job.script}.py"
        )
        assert "--conf spark.executor.memory=" in driver["sparkSubmitParameters"]
        for argument in driver["entryPointArguments"]:
            assert "{{" not in argument
            assert not argument.startswith("s3://") or argument.startswith(lake_uri)
        monitoring = run["configurationOverrides"]["monitoringConfiguration"]
        assert (
            monitoring["s3MonitoringConfiguration"]["logUri"] == f"{lake_uri}emr-serverless-logs/"
        )
    sales = runs["silver_tickit_sales"]["jobDriver"]["sparkSubmit"]["entryPointArguments"]
    assert sales == [
        "--table",
        "sales",
        "--input",
        f"{lake_uri}bronze/tickit/sales/load_date={DAY}/",
        "--output",
        f"{lake_uri}silver/tickit/sales",
        "--load-date",
        DAY.isoformat(),
    ]


def test_waits_are_sized_from_the_expected_run_time_not_the_default():
    for job in silver_jobs() + gold_jobs():
        budget = job.waiter_delay * job.waiter_max_attempts
        assert budget >= (3 * job.expected_minutes + 10) * 60
        assert budget != 25 * 60 or job.expected_minutes == 5


def test_every_job_run_carries_emr_serverless_own_timeout_backstop(lake):
    """EMR stops a run by itself when Airflow no longer waits for it (it bills until then)."""
    from moto.emrserverless.models import emrserverless_backends

    pipeline = lake.pipeline
    backend = emrserverless_backends[pipeline.aws.account_id][pipeline.aws.region]
    sent = {
        run.name.split(".")[0]: run.execution_timeout_minutes
        for run in backend.job_runs[pipeline.variables[Var.EMR_SERVERLESS_APPLICATION_ID]]
    }
    expected = {job.task_id: job for job in silver_jobs() + gold_jobs()}
    assert set(sent) == set(expected)
    for task_id, minutes in sent.items():
        job = expected[task_id]
        assert minutes == 3 * job.expected_minutes + 10, task_id
        assert minutes * 60 <= job.waiter_delay * job.waiter_max_attempts, task_id


def test_crawlers_are_configured_per_zone(lake):
    pipeline = lake.pipeline
    glue = pipeline.aws.client("glue")
    bronze = glue.get_crawler(Name=pipeline.variables["lake_bronze_crawler"])["Crawler"]
    assert bronze["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert bronze["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    gold = glue.get_crawler(Name=pipeline.variables["lake_gold_crawler"])["Crawler"]
    assert gold["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_EVERYTHING"}
    assert gold["DatabaseName"] == pipeline.variables["lake_gold_database"]
    encounters = glue.get_table(
        DatabaseName=pipeline.variables["lake_bronze_database"], Name="encounters"
    )["Table"]
    assert encounters["Parameters"]["classification"] == "csv"
    assert [k["Name"] for k in encounters["PartitionKeys"]] == ["load_date"]
    assert encounters["StorageDescriptor"]["Columns"][0] == {"Name": "id", "Type": "string"}


def test_gold_tables_have_rows_one_file_per_partition_and_athena_reads_them(lake):
    pipeline, results = lake.pipeline, lake.results
    bucket = pipeline.names.lake_bucket
    for table in GOLD_TABLES:
        rows, partitions = parquet_counts(bucket, table.prefix)
        assert rows > 0, table.name
        files = [k for k in pipeline.aws.list_keys(bucket, table.prefix) if k.endswith(".parquet")]
        assert len(files) == max(partitions, 1), f"{table.name}: one file per partition"
    verify = next(t for t in results["data_lake__gold"].tasks if t.task_id == "verify_gold")
    assert verify.state == "success"
    from devkit.domains.data_lake import athena_results

    read_back = athena_results(pipeline)
    assert set(read_back) == {table.name for table in GOLD_TABLES}
    assert int(read_back["encounters_for_symptom"]["empty_reasoncodes"]) == 0
    assert read_back["encounters_for_symptom"]["descriptions"] == "1"
    assert int(read_back["sinusitis_study"]["gold_rows"]) > 0


def test_a_bad_input_fails_its_job_task_with_the_error_and_alerts(lake):
    pipeline = lake.pipeline
    bucket = pipeline.names.lake_bucket
    key = next(t for t in SOURCE_TABLES if t.name == "patients").bronze_key(DAY.isoformat())
    landed = pipeline.aws.s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
    pipeline.aws.put_object(bucket, key, "Id,BIRTHDATE\nnot,a-date\n")
    before = parquet_counts(bucket, "silver/synthea/patients/")
    try:
        result = pipeline.run("data_lake__silver", DAY, only="silver_synthea_patients")
    finally:  # the first night's lake as it was, for the tests after this one
        pipeline.aws.put_object(bucket, key, landed)
    (failed,) = result.failed
    assert failed.task_id == "silver_synthea_patients"
    log = failed.log.read_text()
    assert "wrong header" in log and f"s3://{bucket}/bronze/synthea/patients/" in log
    assert parquet_counts(bucket, "silver/synthea/patients/") == before
    subjects = [subject for subject, _ in pipeline.alerts()]
    assert any("data_lake__silver.silver_synthea_patients" in s for s in subjects)


# --- the DataHub S3 recipes on the lake the jobs wrote (recipes/s3.yml, s3_raw.yml) ---


@pytest.fixture(scope="module")
def s3_catalog(lake, first_night):
    """Dataset name (`<zone>/<source>/<table>`) -> its records, from both S3 recipes' output
    of the first night's datahub__ingest_metadata run, the last of the night's runs."""
    pipeline, results = lake.pipeline, first_night[2]
    (result,) = [r for r in results if r.dag_id == "datahub__ingest_metadata"]
    assert result.state == "success", [(t.task_id, t.log) for t in result.failed]
    ran = [t.task_id for t in result.tasks]
    assert {"ingest_s3", "ingest_s3_raw"} <= set(ran), ran
    order = [r.dag_id for r in results]
    assert order.index("data_lake__gold") < order.index("datahub__ingest_metadata"), order
    datasets: dict[str, list[tuple[str, str, dict]]] = {}
    for recipe in ("s3", "s3_raw"):
        records = json.loads((datahub.output_dir(pipeline) / f"{recipe}.json").read_text())
        for urn, kind, aspect, value in datahub.record_aspects(records):
            if kind == "dataset":
                name = urn.split(",")[1].removeprefix(pipeline.names.lake_bucket + "/")
                datasets.setdefault(name, []).append((recipe, aspect, value))
    return datasets


def lake_tables() -> dict[str, tuple[str, ...]]:
    """Every table of every zone the DAGs write, with its partition keys (outermost first).

    Silver TICKIT facts arrive a day at a time and keep one `load_date` folder per night
    (the job's INCREMENTAL); the other silver tables are whole snapshots. Besides the
    data lake's DAGs, tickit__sales_by_category UNLOADs its aggregate to gold.
    """
    incremental = {(TICKIT, name) for name in load_job("silver_tickit").INCREMENTAL}
    tables = {t.bronze_prefix.rstrip("/"): ("load_date",) for t in SOURCE_TABLES}
    tables.update(
        {
            t.silver_prefix.rstrip("/"): ("load_date",) if (t.source, t.name) in incremental else ()
            for t in SOURCE_TABLES
        }
    )
    tables.update({t.prefix.rstrip("/"): t.partition_keys for t in GOLD_TABLES})
    tables[GOLD_SALES_BY_CATEGORY_PREFIX.rstrip("/")] = ("catgroup", "catname")
    return tables


def test_every_table_of_every_zone_is_one_dataset(s3_catalog):
    assert set(s3_catalog) == set(lake_tables())
    for name, aspects in s3_catalog.items():
        # Each table folder makes one dataset: one full datasetProperties (a dict). The
        # source may add a JSON patch (a list: lastModified) to the same dataset.
        properties = [
            recipe
            for recipe, aspect, value in aspects
            if aspect == "datasetProperties" and isinstance(value, dict)
        ]
        assert len(properties) == 1, f"{name} emitted by {properties}"


def test_partition_keys_are_schema_fields_and_partitions_are_summarised(s3_catalog):
    depths = set()
    for name, keys in lake_tables().items():
        aspects = {a: v for _, a, v in s3_catalog[name] if isinstance(v, dict)}
        summary = aspects.get("partitionsSummary")
        latest = summary["maxPartition"]["partition"] if summary else ""
        assert [part.split("=")[0] for part in latest.split("/") if part] == list(keys), name
        depths.add(len(keys))
        if name.startswith("bronze/tickit/"):
            assert "schemaMetadata" not in aspects, f"{name}: header-less, no schema to infer"
            continue
        fields = aspects["schemaMetadata"]["fields"]
        partitioning = [f["fieldPath"] for f in fields if f.get("isPartitioningKey")]
        assert partitioning == list(keys), name
        assert len(fields) > len(keys), f"{name}: data columns besides the partition keys"
    assert {0, 1, 2, 3} <= depths, "none, one, two and three partition levels are covered"


def test_bronze_csv_columns_come_from_the_header(s3_catalog):
    (fields,) = [
        v["fields"] for _, a, v in s3_catalog[f"bronze/{SYNTHEA}/patients"] if a == "schemaMetadata"
    ]
    names = [f["fieldPath"] for f in fields]
    assert names[0].lower() == "id" and names[-1] == "load_date"


@pytest.mark.parametrize(
    ("role", "action", "resource"),
    [
        # S3: the Spark jobs' writes (each committed file goes through _temporary/).
        ("EmrJobRole", "s3:PutObject", "arn:aws:s3:::{lake}/silver/"),
        # S3: the bronze copy of the landed extracts, by the Airflow task.
        ("MwaaExecutionRole", "s3:PutObject", "arn:aws:s3:::{lake}/bronze/"),
        # Glue: the task starting the crawler, and the crawler cataloging what it found.
        ("MwaaExecutionRole", "glue:StartCrawler", "arn:aws:glue:{region}:{account}:crawler/"),
        ("GlueCrawlerRole", "glue:CreateTable", "arn:aws:glue:{region}:{account}:catalog"),
        # EMR Serverless: submitting the job runs.
        (
            "MwaaExecutionRole",
            "emr-serverless:StartJobRun",
            "arn:aws:emr-serverless:{region}:{account}:/applications/{app}",
        ),
    ],
)
def test_removing_a_permission_the_lake_uses_fails_naming_role_action_and_resource(
    lake, role, action, resource
):
    pipeline = lake.pipeline
    lines = denials_without(pipeline.accesses, pipeline.policies(), role, action)
    expected = resource.format(
        lake=pipeline.names.lake_bucket,
        region=pipeline.aws.region,
        account=pipeline.aws.account_id,
        app=pipeline.variables[Var.EMR_SERVERLESS_APPLICATION_ID],
    )
    assert lines and all(line.startswith(f"DENIED {role}: {action} on ") for line in lines)
    assert any(f"{action} on {expected}" in line for line in lines), lines
    assert all(f") -> change infra/pipelines.yaml: {role}" in line for line in lines)
