"""Synthea gold jobs: local Spark (the real job files) vs DuckDB, same input, same layout.

For each scale: generate the Synthea CSV (devkit.synthea_data), turn it into silver
Parquet once with the silver job, then run each gold job twice in local Spark
(spark/jobs/*.py, `main([...])`, local[2]) and the same transformation twice in DuckDB
(SQL below) on that silver Parquet, writing the same layout (Snappy Parquet, hive
year/month/day partitions, one file for the sinusitis study). "warm" is the second run
(JVM started, JIT and caches warm); the JVM start is reported apart. rows/s counts input
rows. Prints tables; asserts nothing. Times are also given in units of one cold
`python -c "import airflow"` measured in the same run (bench/units.py).

Usage: .venv/bin/python bench/spark_vs_duckdb.py [--scales 0.1 1] [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
from units import cold_import_airflow_seconds

from devkit import synthea_data

REPO = Path(__file__).resolve().parents[1]
SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "4g",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
    # one rename per file instead of two (the jobs promote a temporary folder anyway)
    "spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version": "2",
}
DUCKDB_SQL = {
    "gold_encounters_for_symptom": """
        COPY (
            SELECT * EXCLUDE (start) FROM (
                SELECT DISTINCT *, year(start) AS year, month(start) AS month, day(start) AS day
                FROM read_parquet('{input}/*.parquet')
                WHERE description = 'Encounter for symptom'
                  AND coalesce(trim(CAST(reasoncode AS VARCHAR)), '') <> ''
            )
        ) TO '{output}' (FORMAT PARQUET, COMPRESSION SNAPPY, PARTITION_BY (year, month, day))
    """,
    "gold_observations": """
        COPY (
            SELECT * EXCLUDE (date) FROM (
                SELECT DISTINCT *, year(date) AS year, month(date) AS month, day(date) AS day
                FROM read_parquet('{input}/*.parquet')
            )
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
            con.execute(sql)

    return timed(query)


def bench_scale(spark, scale: float, workdir: Path, unit: float) -> list[dict]:
    root = workdir / f"scale-{scale:g}"
    shutil.rmtree(root, ignore_errors=True)
    bronze, silver = root / "bronze", root / "silver"
    bronze.mkdir(parents=True)
    started = time.perf_counter()
    for table in synthea_data.TABLES:
        (bronze / f"{table}.csv").write_bytes(synthea_data.generate_table(table, scale))
    print(f"\nscale {scale:g}: generated CSV in {time.perf_counter() - started:.1f} s")
    silver_job = load_job("silver_synthea")
    for table in synthea_data.TABLES:
        args = ["--table", table, "--input", str(bronze / f"{table}.csv")]
        args += ["--output", str(silver / table), "--load-date", "2024-05-01"]
        seconds = run_spark(silver_job, args, silver / table)
        rows, files = parquet_stats(silver / table)
        print(f"  silver {table:<13} {rows:>10,} rows {files:>3} files  Spark {seconds:6.1f} s")

    results = []
    for name, (table, patients) in GOLD_INPUT.items():
        job = load_job(name)
        input_rows = parquet_stats(silver / table)[0]
        if patients:
            input_rows += parquet_stats(silver / patients)[0]
        spark_out, duck_out = root / "gold-spark" / name, root / "gold-duckdb" / name
        args = ["--input", str(silver / table), "--output", str(spark_out)]
        if patients:
            args += ["--patients", str(silver / patients)]
        spark_first = run_spark(job, args, spark_out)
        spark_warm = run_spark(job, args, spark_out)
        sql = DUCKDB_SQL[name].format(
            input=silver / table, patients=silver / (patients or ""), output=duck_out
        )
        duck_first = run_duckdb(sql, duck_out)
        duck_warm = run_duckdb(sql, duck_out)
        spark_rows, spark_files = parquet_stats(spark_out)
        duck_rows, duck_files = parquet_stats(duck_out)
        results.append(
            {
                "scale": scale,
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
                "unit": unit,
            }
        )
        print(f"  gold {name} done ({spark_warm:.1f} s Spark warm, {duck_warm:.1f} s DuckDB warm)")
    return results


def print_table(results: list[dict], jvm_start: float, unit: float) -> None:
    print(f"\nbaseline: cold `python -c 'import airflow'` = {unit:.2f} s (median of 3) = 1 unit")
    print(f"Spark JVM + SparkSession start (local[2]), not in the times below: {jvm_start:.1f} s")
    header = (
        f"{'scale':>5} {'job':<24} {'input rows':>11} {'output rows':>12} "
        f"{'Spark 1st':>9} {'Spark warm':>10} {'DuckDB warm':>11} {'Spark rows/s':>12} "
        f"{'DuckDB rows/s':>13} {'files S/D':>11} {'Spark/DuckDB':>12} {'warm units S/D':>14}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        same = "" if r["spark rows"] == r["duckdb rows"] else f" (DuckDB {r['duckdb rows']:,})"
        print(
            f"{r['scale']:>5g} {r['job']:<24} {r['input rows']:>11,} {r['spark rows']:>12,} "
            f"{r['spark first']:>8.2f}s {r['spark warm']:>9.2f}s {r['duckdb warm']:>10.2f}s "
            f"{r['input rows'] / r['spark warm']:>12,.0f} {r['input rows'] / r['duckdb warm']:>13,.0f} "
            f"{r['spark files']:>5}/{r['duckdb files']:<5} {r['spark warm'] / r['duckdb warm']:>11.1f}x "
            f"{r['spark warm'] / unit:>6.1f}/{r['duckdb warm'] / unit:<6.1f}{same}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.1, 1.0])
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    args = parser.parse_args(argv)
    unit = cold_import_airflow_seconds()  # before the JVM competes for the CPU
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="spark-vs-duckdb-"))

    started = time.perf_counter()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").appName("spark_vs_duckdb")
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.range(1).collect()
    jvm_start = time.perf_counter() - started

    results = []
    try:
        for scale in args.scales:
            results += bench_scale(spark, scale, workdir, unit)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print_table(results, jvm_start, unit)


if __name__ == "__main__":
    main()
