"""UNLOAD to moto S3 as Snappy Parquet with Redshift's file layout."""

import io

import pyarrow as pa
import pyarrow.parquet as pq

SETUP = [
    "create table sales (salesid int, pricepaid decimal(8,2), saletime timestamp,"
    " year int, month int)",
    "insert into sales values (1, 10.50, '2008-01-05 10:00:00', 2008, 1),"
    " (2, 20.00, '2008-01-06 11:00:00', 2008, 1), (3, 5.25, '2008-02-01 09:00:00', 2008, 2)",
]


def _unload(bucket, prefix, options):
    return (
        f"UNLOAD ($$select * from sales$$) TO 's3://{bucket}/{prefix}' credentials "
        f"'aws_iam_role=arn:aws:iam::123456789012:role/local-redshift-s3' {options};"
    )


def _read(aws, bucket, key) -> pa.Table:
    body = aws.s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body))


def test_partitioned_unload_writes_hive_folders_and_all_rows(redshift, local_aws, bucket):
    redshift.ok(SETUP)
    redshift.ok(_unload(bucket, "sales/", "FORMAT AS PARQUET PARTITION BY (year, month)"))
    keys = local_aws.list_keys(bucket, "sales/")
    assert keys == [
        "sales/year=2008/month=1/0000_part_00.parquet",
        "sales/year=2008/month=2/0000_part_00.parquet",
    ]
    tables = [_read(local_aws, bucket, k) for k in keys]
    assert [t.num_rows for t in tables] == [2, 1]
    schema = tables[0].schema
    assert schema.names == ["salesid", "pricepaid", "saletime"]
    assert schema.field("pricepaid").type == pa.decimal128(8, 2)
    assert pa.types.is_timestamp(schema.field("saletime").type)
    body = local_aws.s3_client().get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    assert pq.ParquetFile(io.BytesIO(body)).metadata.row_group(0).column(0).compression == "SNAPPY"


def test_unload_to_non_empty_prefix_fails_without_overwrite(redshift, local_aws, bucket):
    redshift.ok(SETUP)
    local_aws.put_object(bucket, "out/old.parquet", b"old")
    desc = redshift.run(_unload(bucket, "out/", "FORMAT AS PARQUET"))
    assert desc["Status"] == "FAILED" and "not empty" in desc["Error"]
    assert local_aws.list_keys(bucket, "out/") == ["out/old.parquet"]


def test_cleanpath_removes_old_files(redshift, local_aws, bucket):
    redshift.ok(SETUP)
    local_aws.put_object(bucket, "out/year=1999/month=1/stale.parquet", b"stale")
    redshift.ok(_unload(bucket, "out/", "FORMAT AS PARQUET PARTITION BY (year) CLEANPATH"))
    assert local_aws.list_keys(bucket, "out/") == ["out/year=2008/0000_part_00.parquet"]
    assert _read(local_aws, bucket, "out/year=2008/0000_part_00.parquet").num_rows == 3


def test_allowoverwrite_replaces_same_file(redshift, local_aws, bucket):
    redshift.ok(SETUP)
    redshift.ok(_unload(bucket, "flat/sales_", "FORMAT AS PARQUET"))
    redshift.ok("delete from sales where salesid = 1")
    redshift.ok(_unload(bucket, "flat/sales_", "FORMAT AS PARQUET ALLOWOVERWRITE"))
    assert local_aws.list_keys(bucket, "flat/") == ["flat/sales_0000_part_00.parquet"]
    assert _read(local_aws, bucket, "flat/sales_0000_part_00.parquet").num_rows == 2
