"""Synthea gold jobs: local Spark (the real job files) vs DuckDB, same input, same layout.

For each scale: generate the Synthea CSV (deploy.sample_data.synthea), turn it into silver
Parquet once with the silver job, then run each gold job in local Spark (spark/jobs/*.py,
`main([...])`, local[2]) and the same transformation in DuckDB (SQL below) on that
silver Parquet, writing the same layout (Snappy Parquet, hive year/month/day partitions
with one file per day, one file for the sinusitis study). "1st" is the first run, "warm"
the best of the --warm-runs runs after it (JVM started, JIT and caches warm); the JVM
start is reported apart. rows/s counts input rows. Prints tables; asserts nothing.
Times are also given in units of one cold `python -c "import airflow"` measured in the
same run (bench/units.py).

The local file system: without Hadoop's native library (not shipped with pyspark),
Hadoop forks a `chmod` process for every file it creates on a local disk (and another
one for its .crc checksum file). EMR writes to S3 and has the native library, and DuckDB
does neither, so the Spark runs here use a local file system class without checksum
files and without the fork (compiled from the Java source below with javac when a JDK
is present; otherwise Hadoop's RawLocalFileSystem, one fork per file). The fork's cost
is measured and reported on its own so the stock figure can be worked out.

Usage: .venv/bin/python bench/spark_vs_duckdb.py [--scales 0.1 1] [--warm-runs 2]
       [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
from units import cold_import_airflow_seconds

from deploy.sample_data import synthea
from devkit.paths import REPO

SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "4g",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
    # one rename per file instead of two (the jobs promote a temporary folder anyway)
    "spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version": "2",
}
NO_CHMOD_FS = "benchfs.NoChmodLocalFileSystem"
NO_CHMOD_SOURCE = """
package benchfs;

import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/** The local file system without a forked chmod per file (no native Hadoop library). */
public class NoChmodLocalFileSystem extends RawLocalFileSystem {
  @Override
  public void setPermission(Path path, FsPermission permission) {}
}
"""
DUCKDB_SQL = {
    "gold_encounters_for_symptom": """
        COPY (
            SELECT * EXCLUDE (start) FROM (
                SELECT DISTINCT *, year(start) AS year, month(start) AS month, day(start) AS day
                FROM read_parquet('{input}/*.parquet')
                WHERE description = 'Encounter for symptom'
                  AND coalesce(trim(CAST(reasoncode AS VARCHAR)), '') <> ''
            )
            ORDER BY year, month, day
        ) TO '{output}' (FORMAT PARQUET, COMPRESSION SNAPPY, PARTITION_BY (year, month, day))
    """,
    "gold_observations": """
        COPY (
            SELECT * EXCLUDE (date) FROM (
                SELECT DISTINCT *, year(date) AS year, month(date) AS month, day(date) AS day
                FROM read_parquet('{input}/*.parquet')
            )
            ORDER BY year, month, day
        ) TO '{output}' (FORMAT PARQUET, COMPRESSION SNAPPY, PARTITION_BY (year, month, day))
    """,
    "gold_sinusitis_study": """
        COPY (
            SELECT c.patient, c.code, c.description,
                   date_diff('day', p.birthdate, c.start) AS condition_age,
                   p.marital, p.race, p.ethnicity, p.gender
            FROM (
                SELECT DISTINCT * FROM read_parquet('{input}/*.parquet')
                WHERE lower(description) LIKE '%sinusitis%'
            ) AS c
            JOIN (
                SELECT DISTINCT * FROM read_parquet('{patients}/*.parquet')
                WHERE coalesce(trim(marital), '') <> '' AND coalesce(trim(race), '') <> ''
                  AND coalesce(trim(ethnicity), '') <> '' AND coalesce(trim(gender), '') <> ''
            ) AS p ON c.patient = p.id
        ) TO '{output}/part-0.parquet' (FORMAT PARQUET, COMPRESSION SNAPPY)
    """,
}
GOLD_INPUT = {  # gold job -> (silver input table, extra --patients table)
    "gold_encounters_for_symptom": ("encounters", None),
    "gold_observations": ("observations", None),
    "gold_sinusitis_study": ("conditions", "patients"),
}


def load_job(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "spark" / "jobs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def parquet_stats(folder: Path) -> tuple[int, int]:
    """(rows, data files) of a Parquet folder."""
    files = sorted(folder.rglob("*.parquet"))
    rows = ds.dataset([str(f) for f in files], format="parquet").count_rows() if files else 0
    return rows, len(files)


def run_spark(job, args: list[str], output: Path) -> float:
    shutil.rmtree(output, ignore_errors=True)
    return timed(lambda: job.main(args))


def run_duckdb(sql: str, output: Path) -> float:
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)

    def query() -> None:
        with duckdb.connect() as con:
            con.execute("SET TimeZone = 'UTC'")
            # one file per partition: never close a partition's file to open another one
            con.execute("SET partitioned_write_max_open_files = 1000000")
            con.execute(sql)

    return timed(query)


def local_file_system(workdir: Path) -> tuple[str, str | None]:
    """(fs.file.impl class, extra class path): the no-chmod class when javac can build it."""
    import pyspark

    jars = glob.glob(str(Path(pyspark.__file__).parent / "jars" / "hadoop-client-api-*.jar"))
    source = workdir / "benchfs" / "NoChmodLocalFileSystem.java"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(NO_CHMOD_SOURCE)
    classes = workdir / "classes"
    try:
        subprocess.run(
            ["javac", "-cp", jars[0], "-d", str(classes), str(source)],
            check=True,
            capture_output=True,
        )
    except (OSError, IndexError, subprocess.CalledProcessError) as error:
        print(f"no javac build of the no-chmod file system ({error}); using RawLocalFileSystem")
        return "org.apache.hadoop.fs.RawLocalFileSystem", None
    return NO_CHMOD_FS, str(classes)


def chmod_fork_seconds(spark, folder: Path, count: int = 50) -> float:
    """What one file costs with Hadoop's stock local file system: its forked chmod."""
    jvm = spark._jvm
    fs = jvm.org.apache.hadoop.fs.RawLocalFileSystem()
    fs.initialize(jvm.java.net.URI("file:///"), spark._jsc.hadoopConfiguration())
    folder.mkdir(parents=True, exist_ok=True)
    permission = jvm.org.apache.hadoop.fs.permission.FsPermission.getFileDefault()
    paths = []
    for n in range(count):
        (folder / f"f{n}").write_bytes(b"")
        paths.append(jvm.org.apache.hadoop.fs.Path(str(folder / f"f{n}")))
    started = time.perf_counter()
    for path in paths:
        fs.setPermission(path, permission)
    return (time.perf_counter() - started) / count


def bench_scale(spark, scale: float, workdir: Path, unit: float, warm_runs: int) -> list[dict]:
    root = workdir / f"scale-{scale:g}"
    shutil.rmtree(root, ignore_errors=True)
    silver = make_silver(root, scale)
    results = []
    for name in GOLD_INPUT:
        result = bench_gold(name, silver, root, warm_runs)
        results.append({"scale": scale, **result, "unit": unit})
        print(
            f"  gold {name} done ({result['spark warm']:.1f} s Spark warm, "
            f"{result['duckdb warm']:.1f} s DuckDB warm)"
        )
    return results


def make_silver(root: Path, scale: float) -> Path:
    """Synthea CSV at `scale`, through the real silver Spark job; the silver folder."""
    bronze, silver = root / "bronze", root / "silver"
    bronze.mkdir(parents=True)
    started = time.perf_counter()
    for table in synthea.TABLES:
        (bronze / f"{table}.csv").write_bytes(synthea.generate_table(table, scale))
    print(f"\nscale {scale:g}: generated CSV in {time.perf_counter() - started:.1f} s")
    silver_job = load_job("silver_synthea")
    for table in synthea.TABLES:
        args = ["--table", table, "--input", str(bronze / f"{table}.csv")]
        args += ["--output", str(silver / table), "--load-date", "2024-05-01"]
        seconds = run_spark(silver_job, args, silver / table)
        rows, files = parquet_stats(silver / table)
        print(f"  silver {table:<13} {rows:>10,} rows {files:>3} files  Spark {seconds:6.1f} s")
    return silver


def bench_gold(name: str, silver: Path, root: Path, warm_runs: int) -> dict:
    """One gold job on Spark and as DuckDB SQL: first and best warm time, rows, files."""
    table, patients = GOLD_INPUT[name]
    job = load_job(name)
    input_rows = parquet_stats(silver / table)[0]
    if patients:
        input_rows += parquet_stats(silver / patients)[0]
    spark_out, duck_out = root / "gold-spark" / name, root / "gold-duckdb" / name
    args = ["--input", str(silver / table), "--output", str(spark_out)]
    if patients:
        args += ["--patients", str(silver / patients)]
    spark_first = run_spark(job, args, spark_out)
    spark_warm = min(run_spark(job, args, spark_out) for _ in range(warm_runs))
    sql = DUCKDB_SQL[name].format(
        input=silver / table, patients=silver / (patients or ""), output=duck_out
    )
    duck_first = run_duckdb(sql, duck_out)
    duck_warm = min(run_duckdb(sql, duck_out) for _ in range(warm_runs))
    spark_rows, spark_files = parquet_stats(spark_out)
    duck_rows, duck_files = parquet_stats(duck_out)
    return {
        "job": name.removeprefix("gold_"),
        "input rows": input_rows,
        "spark first": spark_first,
        "spark warm": spark_warm,
        "duckdb first": duck_first,
        "duckdb warm": duck_warm,
        "spark rows": spark_rows,
        "duckdb rows": duck_rows,
        "spark files": spark_files,
        "duckdb files": duck_files,
    }


def print_table(
    results: list[dict], jvm_start: float, unit: float, file_system: str, fork: float
) -> None:
    print(f"\nbaseline: cold `python -c 'import airflow'` = {unit:.2f} s (median of 3) = 1 unit")
    print(f"Spark JVM + SparkSession start (local[2]), not in the times below: {jvm_start:.1f} s")
    print(
        f"Spark local file system: {file_system}; Hadoop's stock one would add a forked chmod "
        f"of {fork * 1000:.1f} ms for each file and each .crc file (x 2 x files S below)"
    )
    columns = [  # (title, width, cell)
        ("scale", 5, lambda r: f"{r['scale']:g}"),
        ("job", 22, lambda r: r["job"]),
        ("input rows", 10, lambda r: f"{r['input rows']:,}"),
        ("output rows", 11, lambda r: f"{r['spark rows']:,}"),
        ("same rows", 9, lambda r: "yes" if r["spark rows"] == r["duckdb rows"] else "NO"),
        ("files S/D", 11, lambda r: f"{r['spark files']}/{r['duckdb files']}"),
        ("Spark 1st", 9, lambda r: f"{r['spark first']:.2f} s"),
        ("Spark warm", 10, lambda r: f"{r['spark warm']:.2f} s"),
        ("DuckDB warm", 11, lambda r: f"{r['duckdb warm']:.2f} s"),
        ("Spark rows/s", 12, lambda r: f"{r['input rows'] / r['spark warm']:,.0f}"),
        ("DuckDB rows/s", 13, lambda r: f"{r['input rows'] / r['duckdb warm']:,.0f}"),
        ("Spark/DuckDB", 12, lambda r: f"{r['spark warm'] / r['duckdb warm']:.1f}x"),
        ("units S/D", 11, lambda r: f"{r['spark warm'] / unit:.1f}/{r['duckdb warm'] / unit:.1f}"),
    ]
    print(" ".join(f"{title:>{width}}" for title, width, _ in columns))
    print(" ".join("-" * width for _, width, _ in columns))
    for result in results:
        print(" ".join(f"{cell(result):>{width}}" for _, width, cell in columns))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.1, 1.0])
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument(
        "--warm-runs", type=int, default=2, help="warm runs per engine and job (best is shown)"
    )
    args = parser.parse_args(argv)
    unit = cold_import_airflow_seconds()  # before the JVM competes for the CPU
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="spark-vs-duckdb-"))

    file_system, class_path = local_file_system(workdir)

    started = time.perf_counter()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").appName("spark_vs_duckdb")
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    builder = builder.config("spark.hadoop.fs.file.impl", file_system)
    if class_path:
        builder = builder.config("spark.driver.extraClassPath", class_path)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.range(1).collect()
    jvm_start = time.perf_counter() - started
    fork = chmod_fork_seconds(spark, workdir / "chmod")

    results = []
    try:
        for scale in args.scales:
            results += bench_scale(spark, scale, workdir, unit, args.warm_runs)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print_table(results, jvm_start, unit, file_system, fork)


if __name__ == "__main__":
    main()
