"""The EMR Serverless emulation runs the job file for real; the crawler catalogs CSV.

Tiny job files (uploaded to the emulated S3 like the deploy tool does) prove the
contract: S3 arguments become local folders, inputs are copied in, writes and deletes
are copied back, errors become FAILED with stateDetails, and GetJobRun answers with the
final state at once (the deferrable trigger never sleeps its production delay).
"""

from __future__ import annotations

import pytest

JOB = b"""
import argparse
from pyspark.sql import SparkSession

def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--input")
    parser.add_argument("--output")
    args = parser.parse_args(argv)
    spark = SparkSession.builder.getOrCreate()
    frame = spark.read.option("header", "true").csv(args.input)
    if "boom" in frame.columns:
        raise ValueError("bad input: file " + args.input + ", column boom")
    frame.write.mode("overwrite").parquet(args.output)
"""


@pytest.fixture
def application(local_aws, bucket):
    local_aws.put_object(bucket, "dags/spark/jobs/copy_job.py", JOB)
    client = local_aws.client("emr-serverless")
    app = client.create_application(name="t", releaseLabel="emr-7.13.0", type="SPARK")
    return client, app["applicationId"]


def run(client, app, bucket, folder: str) -> dict:
    job_id = client.start_job_run(
        applicationId=app,
        executionRoleArn="arn:aws:iam::123456789012:role/job",
        jobDriver={
            "sparkSubmit": {
                "entryPoint": f"s3://{bucket}/dags/spark/jobs/copy_job.py",
                "entryPointArguments": [
                    "--input",
                    f"s3://{bucket}/{folder}/in/",
                    "--output",
                    f"s3://{bucket}/{folder}/out/table",
                ],
            }
        },
        name="copy",
    )["jobRunId"]
    for _ in range(10):  # GetJobRun answers once the run ends, or RUNNING after 40 s
        job_run = client.get_job_run(applicationId=app, jobRunId=job_id)["jobRun"]
        if job_run["state"] not in ("SUBMITTED", "PENDING", "SCHEDULED", "RUNNING"):
            return job_run
    raise AssertionError(f"job run {job_id} never finished")


def test_a_job_run_reads_and_writes_the_emulated_s3(local_aws, bucket, application):
    client, app = application
    local_aws.put_object(bucket, "ok/in/part.csv", "a,b\n1,x\n2,y\n")
    local_aws.put_object(bucket, "ok/out/table/stale.txt", "left over")
    job_run = run(client, app, bucket, "ok")
    assert job_run["state"] == "SUCCESS", job_run.get("stateDetails")
    keys = local_aws.list_keys(bucket, "ok/out/")
    assert any(k.startswith("ok/out/table/part-") and k.endswith(".parquet") for k in keys)
    assert "ok/out/table/stale.txt" not in keys, "the job's overwrite deletes it in S3 too"
    assert not any("/." in k for k in keys), "no checksum files"


def test_a_failing_job_run_is_failed_with_the_jobs_error_in_s3_terms(
    local_aws, bucket, application
):
    client, app = application
    local_aws.put_object(bucket, "bad/in/part.csv", "boom\n1\n")
    job_run = run(client, app, bucket, "bad")
    assert job_run["state"] == "FAILED"
    assert f"bad input: file s3://{bucket}/bad/in/, column boom" in job_run["stateDetails"]
    assert local_aws.list_keys(bucket, "bad/out/") == []


def test_cancelling_a_finished_run_keeps_its_state(local_aws, bucket, application):
    client, app = application
    local_aws.put_object(bucket, "c/in/part.csv", "a\n1\n")
    job_run = run(client, app, bucket, "c")
    client.cancel_job_run(applicationId=app, jobRunId=job_run["jobRunId"])
    assert (
        client.get_job_run(applicationId=app, jobRunId=job_run["jobRunId"])["jobRun"]["state"]
        == "SUCCESS"
    )


def test_the_crawler_catalogs_csv_with_header_columns_and_load_date_partitions(local_aws, bucket):
    for day in ("2008-01-01", "2008-01-02"):
        key = f"bronze/p/load_date={day}/p.csv"
        local_aws.put_object(bucket, key, "Id,BIRTHDATE\n1,2000-01-01\n")
    glue = local_aws.client("glue")
    name = f"csv-{bucket}"
    glue.create_crawler(
        Name=name,
        Role="arn:aws:iam::123456789012:role/crawler",
        DatabaseName=f"db_{bucket.replace('-', '_')}",
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/bronze/p/"}]},
    )
    glue.start_crawler(Name=name)
    table = glue.get_table(DatabaseName=f"db_{bucket.replace('-', '_')}", Name="p")["Table"]
    assert table["Parameters"]["classification"] == "csv"
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "birthdate"]
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("OpenCSVSerde")
    partitions = glue.get_partitions(DatabaseName=table["DatabaseName"], TableName="p")
    assert sorted(p["Values"][0] for p in partitions["Partitions"]) == ["2008-01-01", "2008-01-02"]


def test_an_application_without_runs_lists_none(local_aws, application):
    """AWS lists no runs; moto said the application does not exist (the lone-DAG summary)."""
    client, app = application
    assert client.list_job_runs(applicationId=app)["jobRuns"] == []
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_job_runs(applicationId="00nosuchapplication")
