"""The one local SparkSession of a process: the EMR Serverless emulation and the Spark tests.

Local runs and tests move kilobytes, so everything that costs CPU before the first
row is cut: the JIT stops at C1 (C2 compiles cost more than they save here), Spark
interprets expressions instead of generating and compiling Java for each query (same
results; the code-generated path runs in bench/spark_vs_duckdb.py), and the local file
system writes no .crc side files and sets permissions without forking a chmod per file
and folder (forkless_fs.py). The JVM maps the classes a previous session loaded from an
archive (class_sharing.py). One session per process:
a second `getOrCreate` would return the first anyway, with the first one's settings.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

from devkit.emulator.emr_serverless import class_sharing, forkless_fs

SMALL_LOCAL_SPARK = {
    "spark.master": "local[2]",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "1g",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.sources.partitionOverwriteMode": "static",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}
_lock = threading.Lock()
_session = None


def session():
    """The process's SparkSession, created (JVM start: seconds) on first use."""
    global _session
    with _lock:
        if _session is None:
            from pyspark.sql import SparkSession

            settings = {**SMALL_LOCAL_SPARK, **forkless_fs.spark_settings(_jars_dir())}
            class_path = settings.get("spark.driver.extraClassPath")
            settings["spark.driver.extraJavaOptions"] = _java_options(class_path)
            builder = SparkSession.builder.appName("devkit-local-spark")
            for key, value in settings.items():
                builder = builder.config(key, value)
            _session = builder.getOrCreate()
            _session.sparkContext.setLogLevel("ERROR")
        return _session


def _jars_dir() -> Path:
    from pyspark.find_spark_home import _find_spark_home

    return Path(_find_spark_home()) / "jars"


def _java_options(class_path: str | None) -> str:
    """The JVM options, with the class archive of these jars and this class path."""
    options = SMALL_LOCAL_SPARK["spark.driver.extraJavaOptions"]
    extra = (Path(class_path),) if class_path else ()
    return class_sharing.java_options(options, _jars_dir(), extra)


def cancel_job_group(group: str) -> None:
    """Cancel the Spark jobs of a job group; without a session there are none to cancel."""
    if _session is not None:
        _session.sparkContext.cancelJobGroup(group)


def warm_up() -> threading.Thread:
    """Start the JVM and run a tiny job shaped like the lake's in the background.

    A cold JVM spends ~10 s loading classes and compiling the first queries of a
    run; doing that while the run provisions and loads Redshift (on the other
    core) takes it off the lake's first jobs.
    """
    thread = threading.Thread(target=run_warm_up_job, name="spark-warm-up", daemon=True)
    thread.start()
    return thread


def run_warm_up_job() -> None:
    """A tiny job shaped like the lake's: delimited text in, typed and checked, Parquet out."""
    spark = session()
    root = Path(tempfile.mkdtemp(prefix="spark-warm-up-"))
    try:
        (root / "in.csv").write_text("1|a|2008-01-02\n2|b|2008-01-03\n2|b|2008-01-03\n")
        rows = (
            spark.read.schema("id STRING, name STRING, day STRING, _corrupt STRING")
            .options(sep="|", mode="PERMISSIVE", columnNameOfCorruptRecord="_corrupt")
            .csv(str(root / "in.csv"))
            .selectExpr(
                "CASE WHEN _corrupt IS NULL THEN try_cast(nullif(id, '') AS INT)"
                " ELSE raise_error(concat('bad row ', input_file_name())) END AS id",
                "nullif(name, '') AS name",
                "CASE WHEN day RLIKE '^\\\\d{4}' THEN try_cast(day AS DATE) END AS day",
            )
            .dropDuplicates()
        )
        rows.write.partitionBy("day").option("compression", "snappy").parquet(str(root / "a"))
        days = spark.read.parquet(str(root / "a")).groupBy("day").count().repartition(1, "day")
        days.write.partitionBy("day").parquet(str(root / "b"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
