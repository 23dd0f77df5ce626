"""COPY from moto S3 into PostgreSQL with Redshift's load semantics."""

import gzip

SALES_DDL = (
    "create schema tickit; create table tickit.sales (salesid integer not null distkey,"
    " sellerid integer, pricepaid decimal(8,2), saletime timestamp, note varchar(20))"
    " sortkey (saletime)"
)


def _copy(bucket, prefix, options="DELIMITER '|' GZIP EMPTYASNULL TIMEFORMAT 'auto'"):
    return (
        f"COPY tickit.sales FROM 's3://{bucket}/{prefix}' credentials "
        f"'aws_iam_role=arn:aws:iam::123456789012:role/local-redshift-s3' {options}"
    )


def test_copy_gzipped_pipe_delimited_loads_all_objects_under_prefix(redshift, local_aws, bucket):
    redshift.ok(SALES_DDL)
    local_aws.put_object(
        bucket,
        "in/2008-01-05/part-0.gz",
        gzip.compress(b"1|10|72.00|2008-01-05 12:00:00|hello\n2|11||2008-01-05 13:30:00|\n"),
    )
    local_aws.put_object(
        bucket, "in/2008-01-05/part-1.gz", gzip.compress(b"3|12|5.25|2008-01-05 23:59:59|x\n")
    )
    local_aws.put_object(bucket, "in/2008-01-06/part-0.gz", gzip.compress(b"9|9|9|2008-01-06|z\n"))
    desc = redshift.ok(_copy(bucket, "in/2008-01-05/"))
    assert desc["ResultRows"] == 3
    assert redshift.rows(
        "select salesid, pricepaid, saletime::text, note from tickit.sales order by 1"
    ) == [
        [1, "72.00", "2008-01-05 12:00:00", "hello"],
        [2, None, "2008-01-05 13:30:00", None],
        [3, "5.25", "2008-01-05 23:59:59", "x"],
    ]


def test_copy_replace_batch_as_sent_by_s3_to_redshift_operator(redshift, local_aws, bucket):
    redshift.ok(SALES_DDL + "; insert into tickit.sales (salesid) values (100), (101)")
    local_aws.put_object(bucket, "day/data.gz", gzip.compress(b"5|1|1.00|2008-01-05 00:00:00|a\n"))
    redshift.ok(["BEGIN;", "DELETE FROM tickit.sales;", _copy(bucket, "day/"), "COMMIT"])
    assert redshift.rows("select salesid from tickit.sales") == [[5]]


def test_copy_csv_with_header(redshift, local_aws, bucket):
    redshift.ok(SALES_DDL)
    local_aws.put_object(
        bucket, "csv/a.csv", 'salesid,sellerid,pricepaid,saletime,note\n7,1,2.50,,"a, b"\n'
    )
    redshift.ok(_copy(bucket, "csv/", "FORMAT AS CSV IGNOREHEADER 1"))
    assert redshift.rows("select salesid, saletime, note from tickit.sales") == [[7, None, "a, b"]]


def test_copy_malformed_row_fails_names_line_and_leaves_table_unchanged(
    redshift, local_aws, bucket
):
    redshift.ok(SALES_DDL + "; insert into tickit.sales (salesid) values (100)")
    body = b"1|10|1.00|2008-01-05 10:00:00|ok\n2|11|not-a-number|2008-01-05 10:00:00|bad\n"
    local_aws.put_object(bucket, "bad/part-0.gz", gzip.compress(body))
    desc = redshift.run(["BEGIN;", "DELETE FROM tickit.sales;", _copy(bucket, "bad/"), "COMMIT"])
    assert desc["Status"] == "FAILED"
    assert f"s3://{bucket}/bad/part-0.gz line 2" in desc["Error"]
    assert "not-a-number" in desc["Error"]
    assert redshift.rows("select salesid from tickit.sales") == [[100]]


def test_copy_wrong_field_count_fails(redshift, local_aws, bucket):
    redshift.ok(SALES_DDL)
    local_aws.put_object(bucket, "short/p.gz", gzip.compress(b"1|2\n"))
    desc = redshift.run(_copy(bucket, "short/"))
    assert desc["Status"] == "FAILED" and "line 1 has 2 fields, expected 5" in desc["Error"]


def test_copy_from_empty_prefix_fails_like_redshift(redshift, bucket):
    redshift.ok(SALES_DDL)
    desc = redshift.run(_copy(bucket, "nothing/here/"))
    assert desc["Status"] == "FAILED"
    assert "The specified S3 prefix 'nothing/here/' does not exist" in desc["Error"]
