"""Gold sinusitis study: silver conditions joined with silver patients -> one Parquet file.

    gold_sinusitis_study.py --input s3://lake/silver/synthea/conditions
        --patients s3://lake/silver/synthea/patients --output s3://lake/gold/synthea/sinusitis_study

The spec (docs/data_lake.md#the-gold-specs, case 3): drop duplicates; join conditions to
patients on the patient id; keep descriptions containing "sinusitis" in any letter case
(Synthea writes "Sinusitis (disorder)"); drop rows with an empty ethnicity, race, gender
or marital; condition_age = calendar days from the birth date to the condition START
(leap days count); keep patient, code, description, condition_age, marital, race,
ethnicity and gender; write one Snappy Parquet file, no partitions. The output is
replaced as a whole.
"""

from __future__ import annotations

import argparse
import uuid
from typing import Callable

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

TERM = "sinusitis"
DEMOGRAPHICS = ["marital", "race", "ethnicity", "gender"]
STUDY_COLUMNS = ["patient", "code", "description", "condition_age", *DEMOGRAPHICS]


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


def sinusitis_study(conditions: DataFrame, patients: DataFrame) -> DataFrame:
    """One row per distinct (condition, patient) pair of the study, in STUDY_COLUMNS.

    Duplicates are dropped on whole rows before any column is dropped, as the spec
    orders. The row filters run first and the duplicates go after the join, on the
    joined rows: the same rows as dropping them from each input (for an inner join,
    distinct(C join P) = distinct(C) join distinct(P)), with the join's shuffle by
    patient id serving the duplicate removal too.
    """
    sinusitis = conditions.where(F.lower(F.col("description")).contains(TERM))
    known = patients
    for column in DEMOGRAPHICS:
        known = known.where(~is_empty(F.col(column)))
    study = (
        sinusitis.alias("c")
        .join(known.alias("p"), F.col("c.patient") == F.col("p.id"))
        .dropDuplicates()
    )
    return study.select(
        F.col("c.patient").alias("patient"),
        F.col("c.code").alias("code"),
        F.col("c.description").alias("description"),
        F.datediff(F.col("c.start"), F.col("p.birthdate")).alias("condition_age"),
        *(F.col(f"p.{column}").alias(column) for column in DEMOGRAPHICS),
    )


def read_silver(spark: SparkSession, uri: str) -> DataFrame:
    return spark.read.parquet(uri)


def write_single_file(frame: DataFrame, path: str) -> None:
    single = frame.repartition(1).sortWithinPartitions(*STUDY_COLUMNS)
    single.write.mode("errorifexists").option("compression", "snappy").parquet(path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="gold_sinusitis_study", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--input", required=True, help="silver conditions table")
    parser.add_argument("--patients", required=True, help="silver patients table")
    parser.add_argument("--output", required=True, help="gold table folder (replaced)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    spark = SparkSession.builder.appName("gold_sinusitis_study").getOrCreate()
    configure(spark)
    study = sinusitis_study(read_silver(spark, args.input), read_silver(spark, args.patients))
    write_replacing(spark, {args.output: lambda path: write_single_file(study, path)})


if __name__ == "__main__":
    main()
