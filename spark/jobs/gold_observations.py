"""Gold observations: silver observations -> Parquet partitioned by day.

    gold_observations.py --input s3://lake/silver/synthea/observations
        --output s3://lake/gold/synthea/observations

The spec (docs/data_lake.md#the-gold-specs, case 2): drop duplicates; derive
year/month/day from the observation date (DATE, UTC) and drop it; Snappy Parquet
partitioned by year/month/day with one file per day partition. The gold table is rebuilt
from the whole silver table and replaces the previous one as a whole (no stale day
partitions survive a re-run).
"""

from __future__ import annotations

import argparse
import uuid
from typing import Callable

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

OBSERVATION_DATE = "date"  # Synthea's observation DATE is "the date" of the spec
PARTITIONS = ["year", "month", "day"]


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


def with_day_partitions(frame: DataFrame, date_column: str) -> DataFrame:
    """year/month/day (UTC) of `date_column`, which is dropped; each day in one task.

    Rows are hash-partitioned by day here, so the duplicate removal that follows needs
    no second shuffle (its keys include the day) and each day lands in one output file.
    The task count is the cluster's parallelism, fixed so that adaptive execution does
    not merge them: writing thousands of small day files is per-file work, not bytes.
    """
    day = F.to_date(F.col(date_column))
    tasks = frame.sparkSession.sparkContext.defaultParallelism
    return (
        frame.withColumn("year", F.year(day))
        .withColumn("month", F.month(day))
        .withColumn("day", F.dayofmonth(day))
        .repartition(tasks, *PARTITIONS)
        .dropDuplicates()  # on every column, the date included: exact duplicates only
        .drop(date_column)
    )


def observations(frame: DataFrame) -> DataFrame:
    """The spec's rows and columns: every silver column but the date, plus year/month/day."""
    return with_day_partitions(frame, OBSERVATION_DATE)


def read_silver(spark: SparkSession, uri: str) -> DataFrame:
    return spark.read.parquet(uri)


def write_day_partitioned(frame: DataFrame, path: str) -> None:
    writer = frame.write.mode("errorifexists").option("compression", "snappy")
    writer.partitionBy(*PARTITIONS).parquet(path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gold_observations", description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="silver observations table")
    parser.add_argument("--output", required=True, help="gold table folder (replaced)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    spark = SparkSession.builder.appName("gold_observations").getOrCreate()
    configure(spark)
    gold = observations(read_silver(spark, args.input))
    write_replacing(spark, {args.output: lambda path: write_day_partitioned(gold, path)})


if __name__ == "__main__":
    main()
