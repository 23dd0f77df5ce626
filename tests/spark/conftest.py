"""One local SparkSession for every Spark test, the job files as modules, shared fixtures.

The session is the process's one small local session
(devkit/emulator/emr_serverless/local_spark.py), the same one the EMR Serverless
emulation runs the lake's jobs in. Job files are loaded from spark/jobs/ by path, the
way spark-submit runs them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from deploy.sample_data import synthea
from devkit.emulator.emr_serverless import local_spark
from devkit.paths import REPO

JOBS = REPO / "spark" / "jobs"
JOB_NAMES = sorted(path.stem for path in JOBS.glob("*.py"))
SYNTHEA_TEST_SCALE = 0.0005  # 66 patients, 630 encounters, 242 conditions, 2,690 observations


def load_job(name: str) -> ModuleType:
    """spark/jobs/<name>.py as a module (loaded once per process)."""
    module_name = f"spark_job_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, JOBS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


def read_back(path: Path, partitioning: str | None = None):
    """A Parquet folder written by Spark, read with pyarrow (hive partitions as columns)."""
    return ds.dataset(str(path), format="parquet", partitioning=partitioning).to_table()


ARROW_TYPES = {
    "string": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "boolean": pa.bool_(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
}


def arrow_type(sql_type: str) -> pa.DataType:
    if sql_type.startswith("decimal("):
        precision, scale = sql_type[8:-1].split(",")
        return pa.decimal128(int(precision), int(scale))
    return ARROW_TYPES[sql_type]


def write_parquet(path: Path, spec, rows: list) -> None:
    """A silver-shaped Parquet folder written with pyarrow (no Spark job needed).

    `spec` is a job schema ((name, sql type, required), ...); rows are dicts keyed by the
    lower-case column names (missing keys are NULL) or tuples in column order.
    """
    names = [name.lower() for name, _, _ in spec]
    if rows and isinstance(rows[0], dict):
        rows = [[row.get(name) for name in names] for row in rows]
    schema = pa.schema([(name.lower(), arrow_type(sql_type)) for name, sql_type, _ in spec])
    table = pa.Table.from_pylist([dict(zip(names, row)) for row in rows], schema=schema)
    path.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path / "part-00000.parquet", compression="snappy")


def data_files(path: Path) -> list[Path]:
    return sorted(path.rglob("*.parquet"))


def tree(path: Path) -> dict[str, bytes]:
    """Every file under `path` with its bytes: to show a folder was left untouched."""
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="session")
def spark():
    session = local_spark.session()
    session.sparkContext.setLogLevel("OFF")  # the bad-input tests make Spark log errors
    yield session


@pytest.fixture(scope="session")
def synthea_csv(tmp_path_factory) -> Path:
    """Generated Synthea-shaped bronze CSV, one folder per table (with a _SUCCESS marker)."""
    root = tmp_path_factory.mktemp("synthea_bronze")
    for table, data in synthea.generate(SYNTHEA_TEST_SCALE, seed=7).items():
        folder = root / table
        folder.mkdir()
        (folder / f"{table}.csv").write_bytes(data)
        (folder / "_SUCCESS").write_bytes(b"")
    return root


@pytest.fixture(scope="session")
def synthea_silver(spark, synthea_csv, tmp_path_factory) -> Path:
    """The silver tables of `synthea_csv`, written by the silver job's main."""
    root = tmp_path_factory.mktemp("synthea_silver")
    job = load_job("silver_synthea")
    for table in synthea.TABLES:
        job.main(
            ["--table", table, "--input", str(synthea_csv / table), "--output", str(root / table)]
            + ["--load-date", "2024-05-01"]
        )
    return root
