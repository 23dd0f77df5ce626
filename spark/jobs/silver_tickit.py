"""Silver TICKIT: one bronze TICKIT extract (pipe-delimited, gzip) -> typed Parquet.

    silver_tickit.py --table sales --input s3://lake/bronze/tickit/sales/ds=2008-01-05/
        --output s3://lake/silver/tickit/sales --load-date 2008-01-05

The extracts are what deploy/sample_data/tickit.py writes and Redshift's COPY reads: no header,
`|` between fields, empty = NULL, booleans t/f, timestamps "YYYY-MM-DD HH:MM:SS" (UTC).
Columns are in DDL order with the DDL's types (sql/tickit/ddl/*.sql; the tests compare
them); NOT NULL columns are required. A value that does not parse, an empty required
value or a row with the wrong number of fields fails the job naming the file and the
column, and nothing is written. Exact duplicate rows are dropped.

listing and sales arrive as one day's rows per night: their silver tables are partitioned
by load_date and a run replaces only its own `load_date=YYYY-MM-DD` partition. The other
tables arrive as full snapshots: a run replaces the whole silver table.
"""

from __future__ import annotations

import argparse
import uuid
from datetime import date
from typing import Callable

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

_LIKES = ("sports", "theatre", "concerts", "jazz", "classical", "opera", "rock", "vegas")
# (column, Spark SQL type, required) in DDL order
TICKIT_SCHEMAS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "users": (
        ("userid", "int", True),
        ("username", "string", False),
        ("firstname", "string", False),
        ("lastname", "string", False),
        ("city", "string", False),
        ("state", "string", False),
        ("email", "string", False),
        ("phone", "string", False),
        *((f"like{like}", "boolean", False) for like in (*_LIKES, "broadway", "musicals")),
    ),
    "venue": (
        ("venueid", "smallint", True),
        ("venuename", "string", False),
        ("venuecity", "string", False),
        ("venuestate", "string", False),
        ("venueseats", "int", False),
    ),
    "category": (
        ("catid", "smallint", True),
        ("catgroup", "string", False),
        ("catname", "string", False),
        ("catdesc", "string", False),
    ),
    "date": (
        ("dateid", "smallint", True),
        ("caldate", "date", True),
        ("day", "string", True),
        ("week", "smallint", True),
        ("month", "string", True),
        ("qtr", "string", True),
        ("year", "smallint", True),
        ("holiday", "boolean", False),
    ),
    "event": (
        ("eventid", "int", True),
        ("venueid", "smallint", True),
        ("catid", "smallint", True),
        ("dateid", "smallint", True),
        ("eventname", "string", False),
        ("starttime", "timestamp", False),
    ),
    "listing": (
        ("listid", "int", True),
        ("sellerid", "int", True),
        ("eventid", "int", True),
        ("dateid", "smallint", True),
        ("numtickets", "smallint", True),
        ("priceperticket", "decimal(8,2)", False),
        ("totalprice", "decimal(8,2)", False),
        ("listtime", "timestamp", False),
    ),
    "sales": (
        ("salesid", "int", True),
        ("listid", "int", True),
        ("sellerid", "int", True),
        ("buyerid", "int", True),
        ("eventid", "int", True),
        ("dateid", "smallint", True),
        ("qtysold", "smallint", True),
        ("pricepaid", "decimal(8,2)", False),
        ("commission", "decimal(8,2)", False),
        ("saletime", "timestamp", False),
    ),
}
INCREMENTAL = ("listing", "sales")  # one day's rows per extract; the rest are snapshots


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


# --- silver block: identical in silver_synthea.py and silver_tickit.py --------------------

SOURCE_FILE = "_source_file"  # input_file_name() of each row, for error messages
CORRUPT = "_corrupt_record"  # the raw line of a row with the wrong number of fields
_DATETIME = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"
_INTEGER = r"^[+-]?\d{1,19}$"
PATTERNS = {  # what a value must look like before a try_cast may accept it
    "date": _DATETIME,
    "timestamp": _DATETIME,
    "smallint": _INTEGER,
    "int": _INTEGER,
    "bigint": _INTEGER,
    "decimal": r"^[+-]?(\d+\.?\d*|\.\d+)$",
    "double": r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$",
    "boolean": r"^(?i)(t|f|true|false|y|n|yes|no|1|0)$",
}


def list_input_files(spark: SparkSession, uris: list[str]) -> list[str]:
    """Data files of the input URIs (files, folders or globs); `_` and `.` files skipped."""
    files = set()
    for uri in uris:
        fs, path = hadoop_path(spark, uri)
        for status in fs.globStatus(path) or []:
            children = fs.listStatus(status.getPath()) if status.isDirectory() else [status]
            for child in children:
                if child.isFile() and not child.getPath().getName().startswith(("_", ".")):
                    files.add(child.getPath().toString())
    if not files:
        raise BadInputError(f"{BAD_INPUT}no data files at {', '.join(uris)}")
    return sorted(files)


def read_first_line(spark: SparkSession, uri: str) -> str:
    """The first line of a (possibly compressed) file, read through Hadoop's FileSystem."""
    jvm = spark._jvm
    fs, path = hadoop_path(spark, uri)
    factory = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory
    codec = factory(spark._jsc.hadoopConfiguration()).getCodec(path)
    stream = fs.open(path)
    try:
        if codec is not None:
            stream = codec.createInputStream(stream)
        reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, "UTF-8"))
        line = reader.readLine()
    finally:
        stream.close()
    return (line or "").lstrip("\ufeff")


def read_text_table(
    spark: SparkSession, files: list[str], columns: list[str], **options: str
) -> DataFrame:
    """Delimited text as all-string columns (+ the source file and malformed-row columns)."""
    fields = [T.StructField(name, T.StringType()) for name in (*columns, CORRUPT)]
    reader = spark.read.schema(T.StructType(fields)).options(
        mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT, multiLine="false", **options
    )
    return reader.csv(files).withColumn(SOURCE_FILE, F.input_file_name())


def sql_text(text: str) -> str:
    """A Spark SQL string literal of `text`."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fail_sql(*parts: str) -> str:
    """SQL that fails the Spark job with a BadInputError message (the concat of `parts`)."""
    return f"raise_error(concat({sql_text(BAD_INPUT)}, {', '.join(parts)}))"


def parse_column(name: str, sql_type: str, required: bool = False) -> str:
    """SQL of text column `name` as `sql_type` (SQL text: one JVM call per table, not
    dozens per column).

    Empty text is NULL. A value that does not parse, or an empty value in a required
    column, fails the job naming the file, the column and the value. Dates and
    timestamps accept YYYY-MM-DD and ISO timestamps; a date is the calendar day written.
    """
    text = f"nullif(`{name}`, '')"
    if sql_type == "string":
        value = text
    elif sql_type == "date":
        value = (
            f"CASE WHEN try_cast({text} AS TIMESTAMP) IS NOT NULL"
            f" THEN try_cast(substring(`{name}`, 1, 10) AS DATE) END"
        )
    else:
        value = f"try_cast({text} AS {sql_type.upper()})"
    where = f"'file ', `{SOURCE_FILE}`, {sql_text(f', column {name}: ')}"
    if sql_type != "string":
        pattern = sql_text(PATTERNS[sql_type.split("(")[0]])
        parsed = f"{text} RLIKE {pattern} AND {value} IS NOT NULL"
        problem = fail_sql(where, sql_text("cannot parse '"), text, sql_text(f"' as {sql_type}"))
        value = f"CASE WHEN {text} IS NOT NULL AND NOT ({parsed}) THEN {problem} ELSE {value} END"
    if required:
        empty = fail_sql(where, "'empty value'")
        value = f"CASE WHEN {text} IS NULL THEN {empty} ELSE {value} END"
    return value


def typed(raw: DataFrame, schema: tuple[tuple[str, str, bool], ...]) -> DataFrame:
    """Typed, validated columns of `schema` ((name, sql type, required), ...); a malformed
    row (wrong number of fields) fails naming the file and the row."""
    columns = [parse_column(*spec) for spec in schema]
    if CORRUPT in raw.columns:  # checked with the first column, so it cannot be pruned
        malformed = fail_sql(
            f"'file ', `{SOURCE_FILE}`",
            sql_text(f": malformed row (expected {len(schema)} fields): "),
            f"substring(`{CORRUPT}`, 1, 200)",
        )
        columns[0] = f"CASE WHEN `{CORRUPT}` IS NOT NULL THEN {malformed} ELSE {columns[0]} END"
    return raw.selectExpr(*(f"{sql} AS `{spec[0].lower()}`" for sql, spec in zip(columns, schema)))


# --- end of silver block -----------------------------------------------------------------


# --- the job -----------------------------------------------------------------------------


def read_bronze(spark: SparkSession, uris: list[str], table: str) -> DataFrame:
    """The extract's files as text columns named after the DDL (no header in TICKIT)."""
    columns = [name for name, _, _ in TICKIT_SCHEMAS[table]]
    files = list_input_files(spark, uris)
    return read_text_table(spark, files, columns, header="false", sep="|", quote="")


def to_silver(raw: DataFrame, table: str) -> DataFrame:
    """Typed (validated) columns in DDL order, exact duplicates dropped."""
    return typed(raw, TICKIT_SCHEMAS[table]).dropDuplicates()


def output_location(output: str, table: str, load_date: str) -> str:
    """The folder a run replaces: the day's partition of a fact, else the whole table."""
    if table in INCREMENTAL:
        return f"{output.rstrip('/')}/load_date={load_date}"
    return output


def write_silver(frame: DataFrame, path: str) -> None:
    frame.write.mode("errorifexists").option("compression", "snappy").parquet(path)


def load_date(text: str) -> str:
    return date.fromisoformat(text).isoformat()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="silver_tickit", description=__doc__.splitlines()[0])
    parser.add_argument("--table", required=True, choices=sorted(TICKIT_SCHEMAS))
    parser.add_argument("--input", required=True, nargs="+", help="bronze folder(s) or file(s)")
    parser.add_argument("--output", required=True, help="silver table folder")
    parser.add_argument(
        "--load-date", required=True, type=load_date, help="YYYY-MM-DD of the bronze load"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    spark = SparkSession.builder.appName(f"silver_tickit_{args.table}").getOrCreate()
    configure(spark)
    silver = to_silver(read_bronze(spark, args.input, args.table), args.table)
    target = output_location(args.output, args.table, args.load_date)
    write_replacing(spark, {target: lambda path: write_silver(silver, path)})


if __name__ == "__main__":
    main()
