"""Athena's GetTableMetadata on the emulation: the Glue table in Athena's shape."""

from __future__ import annotations

import uuid

import botocore.exceptions
import pytest


@pytest.fixture
def glue_table(local_aws):
    """A partitioned Parquet table in the Glue catalog, as the crawlers leave them."""
    glue = local_aws.client("glue")
    database = f"db_{uuid.uuid4().hex[:8]}"
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": "sales_by_category",
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet"},
            "StorageDescriptor": {
                "Columns": [
                    {"Name": "sale_count", "Type": "bigint"},
                    {"Name": "revenue", "Type": "decimal(18,2)", "Comment": "sum of prices"},
                ],
                "Location": "s3://lake/gold/tickit/sales_by_category/",
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {
                    "SerializationLibrary": (
                        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    )
                },
            },
            "PartitionKeys": [
                {"Name": "catgroup", "Type": "string"},
                {"Name": "catname", "Type": "string"},
            ],
        },
    )
    return database


def test_table_metadata_is_the_glue_table_in_athenas_shape(local_aws, glue_table):
    athena = local_aws.client("athena")
    found = athena.get_table_metadata(
        CatalogName="AwsDataCatalog", DatabaseName=glue_table, TableName="sales_by_category"
    )["TableMetadata"]
    assert found["Name"] == "sales_by_category"
    assert found["Columns"] == [
        {"Name": "sale_count", "Type": "bigint"},
        {"Name": "revenue", "Type": "decimal(18,2)", "Comment": "sum of prices"},
    ]
    assert [k["Name"] for k in found["PartitionKeys"]] == ["catgroup", "catname"]
    assert found["Parameters"]["location"] == "s3://lake/gold/tickit/sales_by_category/"
    assert found["Parameters"]["classification"] == "parquet"
    assert found["Parameters"]["serde.serialization.lib"].endswith("ParquetHiveSerDe")


def test_an_unknown_table_is_a_metadata_exception(local_aws, glue_table):
    athena = local_aws.client("athena")
    with pytest.raises(botocore.exceptions.ClientError) as error:
        athena.get_table_metadata(
            CatalogName="AwsDataCatalog", DatabaseName=glue_table, TableName="no_such_table"
        )
    assert error.value.response["Error"]["Code"] == "MetadataException"
    assert "no_such_table" in error.value.response["Error"]["Message"]
