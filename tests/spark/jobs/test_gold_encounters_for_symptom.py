"""gold_encounters_for_symptom: the spec's filter, day partitions, one file per day."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime
from decimal import Decimal

import pyarrow.parquet as pq

from tests.spark.conftest import data_files, load_job, read_back, write_parquet

job = load_job("gold_encounters_for_symptom")
SILVER = load_job("silver_synthea")
SYMPTOM = "Encounter for symptom"
SCHEMA = SILVER.SYNTHEA_SCHEMAS["encounters"]


def silver_encounters(spark, rows: list[dict]):
    """A silver encounters frame (the silver job's column names and types)."""
    schema = ", ".join(
        f"{name.lower()} {sql_type}" for name, sql_type, _ in SILVER.SYNTHEA_SCHEMAS["encounters"]
    )
    names = [name.lower() for name, _, _ in SILVER.SYNTHEA_SCHEMAS["encounters"]]
    return spark.createDataFrame([[row.get(name) for name in names] for row in rows], schema)


def row(id_: str, start: datetime, description: str = SYMPTOM, reasoncode=444814009, **more):
    return {"id": id_, "start": start, "patient": "p1", "description": description,
            "reasoncode": reasoncode, "total_claim_cost": Decimal("12.50"), **more}  # fmt: skip


ROWS = [
    row("leap", datetime(2020, 2, 29, 23, 59, 59)),
    row("leap", datetime(2020, 2, 29, 23, 59, 59)),  # exact duplicate
    row("leap-2", datetime(2020, 2, 29, 0, 0, 0)),  # same day, another encounter
    row("new-year", datetime(2021, 1, 1, 0, 0, 0)),
    row("eve", datetime(2020, 12, 31, 23, 0, 0)),
    row("no-reason", datetime(2020, 3, 1), reasoncode=None),
    row("checkup", datetime(2020, 3, 1), description="Encounter for check up (procedure)"),
    row("lower-case", datetime(2020, 3, 1), description="encounter for symptom"),
]


def test_filter_dedupe_and_day_columns(spark):
    gold = job.encounters_for_symptom(silver_encounters(spark, ROWS))
    names = [name.lower() for name, _, _ in SILVER.SYNTHEA_SCHEMAS["encounters"]]
    assert gold.columns == [n for n in names if n != "start"] + ["year", "month", "day"]
    assert dict(gold.dtypes)["year"] == "int" and dict(gold.dtypes)["day"] == "int"
    got = sorted((r["id"], r["year"], r["month"], r["day"]) for r in gold.collect())
    assert got == [
        ("eve", 2020, 12, 31),
        ("leap", 2020, 2, 29),
        ("leap-2", 2020, 2, 29),
        ("new-year", 2021, 1, 1),
    ]  # duplicate, empty reasoncode, other and differently-cased descriptions all dropped


def test_one_shuffle_serves_the_day_partitions_and_the_duplicate_removal(spark):
    gold = job.encounters_for_symptom(silver_encounters(spark, ROWS))
    plan = gold._jdf.queryExecution().executedPlan().toString()
    assert plan.count("Exchange hashpartitioning(year") == 1
    assert plan.count("Exchange") == 1


def test_main_writes_one_snappy_file_per_day_and_replaces_the_table(spark, tmp_path):
    silver, output = tmp_path / "silver", tmp_path / "gold" / "encounters_for_symptom"
    write_parquet(silver, SCHEMA, ROWS)
    job.main(["--input", str(silver), "--output", str(output)])

    days = sorted(p.relative_to(output).as_posix() for p in output.glob("year=*/month=*/day=*"))
    assert days == [
        "year=2020/month=12/day=31",
        "year=2020/month=2/day=29",
        "year=2021/month=1/day=1",
    ]
    for day in output.glob("year=*/month=*/day=*"):
        assert len(data_files(day)) == 1
    assert len(data_files(output)) == 3
    file = pq.ParquetFile(data_files(output)[0])
    assert file.metadata.row_group(0).column(0).compression == "SNAPPY"
    assert "start" not in file.schema_arrow.names and "year" not in file.schema_arrow.names
    table = read_back(output, partitioning="hive")
    assert sorted(table.column("id").to_pylist()) == ["eve", "leap", "leap-2", "new-year"]

    # a re-run from a smaller silver table leaves no stale day partition behind
    shutil.rmtree(silver)
    write_parquet(silver, SCHEMA, ROWS[3:4])
    job.main(["--input", str(silver), "--output", str(output)])
    assert [p.relative_to(output).as_posix() for p in output.glob("year=*/month=*/day=*")] == [
        "year=2021/month=1/day=1"
    ]
    assert sorted(p.name for p in output.parent.iterdir()) == ["encounters_for_symptom"]


def test_main_on_generated_data_matches_the_spec(synthea_csv, synthea_silver, tmp_path):
    output = tmp_path / "gold"
    job.main(["--input", str(synthea_silver / "encounters"), "--output", str(output)])
    with open(synthea_csv / "encounters" / "encounters.csv", newline="") as source:
        expected = {
            tuple(r.values())
            for r in csv.DictReader(source)
            if r["DESCRIPTION"] == SYMPTOM and r["REASONCODE"].strip()
        }
    table = read_back(output, partitioning="hive")
    assert table.num_rows == len(expected) > 0
    assert len(data_files(output)) == len({r[1][:10] for r in expected})  # one file per day
