"""Glue crawler cataloguing and Athena queries over the crawled Parquet."""

import uuid

import pytest

SETUP = [
    "create table sales (salesid int, pricepaid decimal(8,2), saletime timestamp,"
    " caldate date, qty smallint, big bigint, ratio float8, flag boolean, name varchar(10),"
    " year int, month int)",
    "insert into sales select g, g * 1.25, '2008-01-05 10:00:00'::timestamp + g * interval '1 day',"
    " date '2008-01-05' + g, 1, g, 0.5, g % 2 = 0, 'n' || g, 2008, 1 + g / 20"
    " from generate_series(1, 30) g",
]


@pytest.fixture
def crawled(redshift, local_aws, bucket):
    """UNLOAD partitioned sales, crawl it; returns (glue client, database)."""
    redshift.ok(SETUP)
    redshift.ok(
        f"UNLOAD ($$select * from sales$$) TO 's3://{bucket}/curated/sales/' "
        "iam_role 'arn:aws:iam::123456789012:role/x' FORMAT AS PARQUET PARTITION BY (year, month)"
    )
    glue = local_aws.client("glue")
    database, crawler = f"db_{uuid.uuid4().hex[:8]}", f"crawler-{uuid.uuid4().hex[:8]}"
    glue.create_crawler(
        Name=crawler,
        Role="arn:aws:iam::123456789012:role/glue",
        DatabaseName=database,
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/curated/sales"}]},
    )
    glue.start_crawler(Name=crawler)
    assert glue.get_crawler(Name=crawler)["Crawler"]["State"] == "READY"
    assert glue.get_crawler(Name=crawler)["Crawler"]["LastCrawl"]["Status"] == "COMPLETED"
    return glue, database


def test_crawler_catalogs_table_columns_and_partitions(crawled, bucket):
    glue, database = crawled
    table = glue.get_table(DatabaseName=database, Name="sales")["Table"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns == {
        "salesid": "int",
        "pricepaid": "decimal(8,2)",
        "saletime": "timestamp",
        "caldate": "date",
        "qty": "smallint",
        "big": "bigint",
        "ratio": "double",
        "flag": "boolean",
        "name": "string",
    }
    assert table["PartitionKeys"] == [
        {"Name": "year", "Type": "string"},
        {"Name": "month", "Type": "string"},
    ]
    assert table["StorageDescriptor"]["Location"] == f"s3://{bucket}/curated/sales/"
    partitions = glue.get_partitions(DatabaseName=database, TableName="sales")["Partitions"]
    by_values = {tuple(p["Values"]): p["StorageDescriptor"]["Location"] for p in partitions}
    assert by_values == {
        ("2008", "1"): f"s3://{bucket}/curated/sales/year=2008/month=1/",
        ("2008", "2"): f"s3://{bucket}/curated/sales/year=2008/month=2/",
    }


def _athena(local_aws, sql, database, bucket):
    athena = local_aws.client("athena")
    query_id = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": f"s3://{bucket}/athena-results/"},
    )["QueryExecutionId"]
    return athena, query_id, athena.get_query_execution(QueryExecutionId=query_id)


def test_athena_counts_rows_of_crawled_table(crawled, local_aws, bucket):
    _, database = crawled
    sql = "select month, count(*) as n, sum(pricepaid) as total from sales group by 1 order by 1"
    athena, query_id, execution = _athena(local_aws, sql, database, bucket)
    assert execution["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    rows = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
    values = [[cell.get("VarCharValue") for cell in row["Data"]] for row in rows]
    assert values == [["month", "n", "total"], ["1", "19", "237.50"], ["2", "11", "343.75"]]
    csv_key = f"athena-results/{query_id}.csv"
    body = local_aws.s3_client().get_object(Bucket=bucket, Key=csv_key)["Body"].read().decode()
    assert body.splitlines()[0] == '"month","n","total"' and len(body.splitlines()) == 3


def test_athena_qualified_name_and_partition_filter(crawled, local_aws, bucket):
    _, database = crawled
    sql = f"select count(*) from {database}.sales where month = '2' and flag"
    athena, query_id, _ = _athena(local_aws, sql, "default", bucket)
    rows = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "6"


def test_athena_failing_query_is_failed_with_reason(crawled, local_aws, bucket):
    _, database = crawled
    _, _, execution = _athena(local_aws, "select nope from sales", database, bucket)
    status = execution["QueryExecution"]["Status"]
    assert status["State"] == "FAILED"
    assert "nope" in status["StateChangeReason"]


def test_athena_missing_table_fails(local_aws, bucket):
    _, _, execution = _athena(local_aws, "select 1 from missing_t", "nodb", bucket)
    status = execution["QueryExecution"]["Status"]
    assert status["State"] == "FAILED" and "TABLE_NOT_FOUND" in status["StateChangeReason"]
