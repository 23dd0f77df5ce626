"""Gold TICKIT sales: silver TICKIT tables -> sales by category and sales by date.

    gold_tickit_sales.py --silver s3://lake/silver/tickit
        --output-by-category s3://lake/gold/tickit/sales_by_category
        --output-by-date s3://lake/gold/tickit/sales_by_date

Both aggregates come from the join of sql/tickit/unload/sales_by_category.sql (sales with
their listing, buyer, seller, event, sale date and category; inner joins) over the whole
silver tables (every load_date partition of the facts):
- sales by category: the same aggregate as that query (per catgroup, catname and sale
  date: sale count, tickets sold, gross sales, commission, distinct buyers and sellers),
  partitioned by catgroup/catname, one file per partition;
- sales by date: the same measures per sale date, partitioned by year/month, one file per
  partition.
Both outputs are written to temporary folders first and replace the previous outputs
as a whole only when both writes succeeded.
"""

from __future__ import annotations

import argparse
import uuid
from typing import Callable

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

SILVER_TABLES = ("sales", "listing", "users", "event", "date", "category")
BY_CATEGORY = ["catgroup", "catname"]
BY_MONTH = ["year", "month"]


# --- common block: identical in every job file (tests/spark/test_job_files.py checks) ----


class BadInputError(ValueError):
    """A bad input: the message names the file, the column and an example value."""


BAD_INPUT = "bad input: "  # prefix of every BadInputError message, also inside raise_error


def configure(spark: SparkSession) -> SparkSession:
    """Runtime SQL settings every job relies on (safe to set on a shared session)."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")  # timestamps are UTC instants
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    return spark


def hadoop_path(spark: SparkSession, uri: str):
    """(FileSystem, qualified Path) of a URI: file://, plain local paths and s3:// alike."""
    path = spark._jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
    return fs, fs.makeQualified(path)


def bad_input_message(error: BaseException) -> str | None:
    """The first line of a BadInputError message raised inside Spark (raise_error)."""
    text = str(error)
    start = text.find(BAD_INPUT)
    return text[start:].splitlines()[0] if start >= 0 else None


def write_replacing(spark: SparkSession, writers: dict[str, Callable[[str], None]]) -> None:
    """Run each writer into a hidden temporary sibling of its output, then swap them in.

    Outputs change only after every write succeeded: a failing write (a bad value found
    while writing included) leaves every output location as it was and removes the
    temporary folders. An output is replaced as a whole, so a re-run leaves no leftovers.
    """
    staged = []
    try:
        for uri, write in writers.items():
            fs, target = hadoop_path(spark, uri)
            name = f"_tmp-{target.getName()}-{uuid.uuid4().hex[:12]}"
            temporary = spark._jvm.org.apache.hadoop.fs.Path(target.getParent(), name)
            staged.append((fs, target, temporary))
            try:
                write(temporary.toString())
            except Exception as error:
                message = bad_input_message(error)
                if message:
                    raise BadInputError(message) from None
                raise
        for fs, target, temporary in staged:
            if fs.exists(target) and not fs.delete(target, True):
                raise OSError(f"cannot delete {target.toString()}")
            if not fs.rename(temporary, target):
                raise OSError(f"cannot move {temporary.toString()} to {target.toString()}")
    finally:
        for fs, _, temporary in staged:
            if fs.exists(temporary):
                fs.delete(temporary, True)


def is_empty(column: Column) -> Column:
    """NULL, or text that is empty after trimming."""
    return column.isNull() | (F.trim(column.cast("string")) == "")


# --- end of common block -----------------------------------------------------------------


# --- the job -----------------------------------------------------------------------------


def sold_tickets(
    sales: DataFrame,
    listing: DataFrame,
    users: DataFrame,
    event: DataFrame,
    date: DataFrame,
    category: DataFrame,
) -> DataFrame:
    """Each distinct sale with its category and sale date (the query's inner joins)."""
    sales = sales.drop("load_date").dropDuplicates()
    joined = (
        sales.alias("s")
        .join(listing.alias("l"), F.col("s.listid") == F.col("l.listid"))
        .join(users.alias("buyer"), F.col("s.buyerid") == F.col("buyer.userid"))
        .join(users.alias("seller"), F.col("s.sellerid") == F.col("seller.userid"))
        .join(event.alias("e"), F.col("s.eventid") == F.col("e.eventid"))
        .join(date.alias("d"), F.col("s.dateid") == F.col("d.dateid"))
        .join(category.alias("c"), F.col("e.catid") == F.col("c.catid"))
    )
    return joined.select(
        F.col("c.catgroup").alias("catgroup"),
        F.col("c.catname").alias("catname"),
        F.col("d.caldate").alias("sale_date"),
        F.col("s.qtysold").alias("qtysold"),
        F.col("s.pricepaid").alias("pricepaid"),
        F.col("s.commission").alias("commission"),
        F.col("s.buyerid").alias("buyerid"),
        F.col("s.sellerid").alias("sellerid"),
    )


def _totals(sold: DataFrame, keys: list[str]) -> DataFrame:
    return sold.groupBy(*keys).agg(
        F.count(F.lit(1)).alias("sale_count"),
        F.sum("qtysold").alias("tickets_sold"),
        F.sum("pricepaid").alias("gross_sales"),
        F.sum("commission").alias("commission"),
        F.countDistinct("buyerid").alias("distinct_buyers"),
        F.countDistinct("sellerid").alias("distinct_sellers"),
    )


def sales_by_category(sold: DataFrame) -> DataFrame:
    """Per catgroup, catname and sale_date, like sql/tickit/unload/sales_by_category.sql."""
    return _totals(sold, [*BY_CATEGORY, "sale_date"]).repartition(*BY_CATEGORY)


def sales_by_date(sold: DataFrame) -> DataFrame:
    """Per sale_date, with year/month partition columns."""
    totals = _totals(sold, ["sale_date"])
    totals = totals.withColumn("year", F.year("sale_date")).withColumn(
        "month", F.month("sale_date")
    )
    return totals.repartition(*BY_MONTH)


def read_silver_tables(spark: SparkSession, silver_root: str) -> dict[str, DataFrame]:
    root = silver_root.rstrip("/")
    return {table: spark.read.parquet(f"{root}/{table}") for table in SILVER_TABLES}


def write_partitioned(frame: DataFrame, path: str, columns: list[str]) -> None:
    writer = frame.write.mode("errorifexists").option("compression", "snappy")
    writer.partitionBy(*columns).parquet(path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gold_tickit_sales", description=__doc__.splitlines()[0])
    parser.add_argument("--silver", required=True, help="root of the silver TICKIT tables")
    parser.add_argument("--output-by-category", required=True, help="gold folder (replaced)")
    parser.add_argument("--output-by-date", required=True, help="gold folder (replaced)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    spark = SparkSession.builder.appName("gold_tickit_sales").getOrCreate()
    configure(spark)
    # Both aggregates read the same six-way join: keep it in memory for the second write.
    sold = sold_tickets(**read_silver_tables(spark, args.silver)).cache()
    by_category, by_date = sales_by_category(sold), sales_by_date(sold)
    try:
        write_replacing(
            spark,
            {
                args.output_by_category: lambda path: write_partitioned(
                    by_category, path, BY_CATEGORY
                ),
                args.output_by_date: lambda path: write_partitioned(by_date, path, BY_MONTH),
            },
        )
    finally:
        sold.unpersist()


if __name__ == "__main__":
    main()
