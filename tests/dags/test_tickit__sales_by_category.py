"""tickit__sales_by_category, run with dag.test() after a real nightly load.

Asserts effects: Parquet objects per category partition that add up to the
warehouse aggregate, the crawler configured and run, the catalog's partitions,
the UNLOAD statement that produced them, and the lineage the DataHub plugin captured.
"""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest

from devkit.domains.tickit import GOLD_DATABASE
from lakehouse.tickit import GOLD_SALES_BY_CATEGORY_PREFIX
from tests.dags.conftest import TICKIT_NIGHTS

pytestmark = pytest.mark.integration

DAY = TICKIT_NIGHTS[-1]  # the shared load's last night (tests/dags/conftest.py)


@pytest.fixture(scope="module")
def unloaded(tickit_two_nights):
    pipeline, loads, _ = tickit_two_nights  # loaded with lineage on (tests/dags/conftest.py)
    assert all(load.state == "success" for load in loads)
    mark = len(pipeline.aws.statements)
    crawls_before = len(crawls(pipeline))  # the pipeline's own crawler (its stack's name)
    result = pipeline.run("tickit__sales_by_category", DAY)
    return pipeline, result, pipeline.statements_since(mark), crawls(pipeline)[crawls_before:]


def crawls(pipeline) -> list[dict]:
    glue, crawler = pipeline.aws.client("glue"), crawler_name(pipeline)
    if crawler not in glue.list_crawlers()["CrawlerNames"]:
        return []
    return glue.list_crawls(CrawlerName=crawler)["Crawls"]


def crawler_name(pipeline) -> str:
    return pipeline.variables["tickit_gold_crawler"]


def gold_database(pipeline) -> str:
    return pipeline.names.database(GOLD_DATABASE)


def warehouse_aggregate(pipeline) -> dict[tuple[str, str], int]:
    sql = (
        "SELECT c.catgroup, c.catname, COUNT(*) FROM tickit.sales s"
        " JOIN tickit.event e ON s.eventid = e.eventid"
        " JOIN tickit.category c ON e.catid = c.catid"
        " JOIN tickit.listing l ON s.listid = l.listid"
        " GROUP BY 1, 2"
    )
    return {(g, n): count for g, n, count in pipeline.query(sql)}


def test_every_task_succeeds(unloaded):
    _, result, _, _ = unloaded
    assert result.state == "success", [(t.task_id, t.state) for t in result.failed]
    assert [t.task_id for t in result.tasks] == [
        "unload_sales_by_category",
        "crawl_sales_by_category",
        "query_with_athena",
        "verify_athena_result",
    ]


def test_unload_statement_is_partitioned_parquet_with_the_iam_role(unloaded):
    pipeline, _, statements, _ = unloaded
    (unload,) = [s for s in statements if s.lstrip().upper().startswith("UNLOAD")]
    assert f"TO 's3://{pipeline.names.lake_bucket}/{GOLD_SALES_BY_CATEGORY_PREFIX}'" in unload
    assert "FORMAT AS PARQUET" in unload and "PARTITION BY (catgroup, catname)" in unload
    assert "aws_iam_role=arn:aws:iam::" in unload


def test_one_parquet_file_per_category_partition_adding_up_to_the_warehouse(unloaded):
    pipeline, _, _, _ = unloaded
    s3 = pipeline.aws.s3_client()
    keys = pipeline.aws.list_keys(pipeline.names.lake_bucket, GOLD_SALES_BY_CATEGORY_PREFIX)
    expected = warehouse_aggregate(pipeline)
    partitions = {}
    for key in keys:
        group, name, filename = key[len(GOLD_SALES_BY_CATEGORY_PREFIX) :].split("/")
        assert filename.endswith(".parquet")
        body = s3.get_object(Bucket=pipeline.names.lake_bucket, Key=key)["Body"].read()
        table = pq.read_table(io.BytesIO(body))
        assert "catgroup" not in table.column_names, "partition columns live in the path"
        part = (group.removeprefix("catgroup="), name.removeprefix("catname="))
        partitions[part] = partitions.get(part, 0) + sum(table.column("sale_count").to_pylist())
    assert len(keys) == len(expected), "one file per partition at this size"
    assert partitions == expected


def test_crawler_is_configured_run_and_catalogs_the_partitions(unloaded):
    pipeline, _, _, new_crawls = unloaded
    glue = pipeline.aws.client("glue")
    crawler = glue.get_crawler(Name=crawler_name(pipeline))["Crawler"]
    assert crawler["DatabaseName"] == gold_database(pipeline)
    assert crawler["Targets"]["S3Targets"] == [
        {"Path": f"s3://{pipeline.names.lake_bucket}/{GOLD_SALES_BY_CATEGORY_PREFIX}"}
    ]
    assert crawler["Role"].endswith(":role/" + pipeline.roles["GlueCrawlerRole"])  # the stack's
    assert [run["State"] for run in new_crawls] == ["COMPLETED"], "crawled exactly once"
    table = glue.get_table(DatabaseName=gold_database(pipeline), Name="sales_by_category")
    assert [k["Name"] for k in table["Table"]["PartitionKeys"]] == ["catgroup", "catname"]
    partitions = glue.get_partitions(
        DatabaseName=gold_database(pipeline), TableName="sales_by_category"
    )["Partitions"]
    assert {tuple(p["Values"]) for p in partitions} == set(warehouse_aggregate(pipeline))


# --- lineage: the DataHub Airflow plugin (on by default) wrote it for the runs above ---


@pytest.fixture(scope="module")
def lineage(unloaded):
    from devkit.domains.lineage import lineage_edges, lineage_file

    pipeline = unloaded[0]
    return pipeline, lineage_edges(lineage_file(), pipeline.names.tag)


def test_copy_edge_from_the_landing_extract_to_staging(lineage):
    pipeline, found = lineage
    db = pipeline.names.database("dev")
    assert (f"s3:tickit/sales/ds={DAY}/part-", f"redshift:{db}.tickit.stg_sales") in found


def test_merge_edge_from_staging_to_target(lineage):
    pipeline, found = lineage
    db = pipeline.names.database("dev")
    for table in ("sales", "users"):
        assert (f"redshift:{db}.tickit.stg_{table}", f"redshift:{db}.tickit.{table}") in found
    assert (f"redshift:{db}.tickit.sales", f"redshift:{db}.tickit.stg_sales") not in found


def test_unload_edges_from_targets_to_the_gold_prefix(lineage):
    pipeline, found = lineage
    db = pipeline.names.database("dev")
    gold = {a for a, b in found if b.startswith("s3:gold/tickit/sales_by_category")}
    assert {f"redshift:{db}.tickit.{t}" for t in ("sales", "event", "category")} <= gold


def test_the_run_summary_lists_the_edges(lineage):
    pipeline, _ = lineage
    shown = pipeline.domain("lineage").effects(pipeline)
    listed = shown["DataHub lineage of the TICKIT load and UNLOAD (Airflow plugin)"]
    db = pipeline.names.database("dev")
    assert f"redshift:{db}.tickit.stg_sales -> redshift:{db}.tickit.sales" in listed
