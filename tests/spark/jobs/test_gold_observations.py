"""gold_observations: duplicates dropped, date -> year/month/day, one file per day."""

from __future__ import annotations

import csv
from datetime import datetime

from tests.spark.conftest import data_files, load_job, read_back

job = load_job("gold_observations")
SILVER = load_job("silver_synthea")
NAMES = [name.lower() for name, _, _ in SILVER.SYNTHEA_SCHEMAS["observations"]]


def silver_observations(spark, rows: list[tuple]):
    schema = ", ".join(
        f"{name.lower()} {sql_type}" for name, sql_type, _ in SILVER.SYNTHEA_SCHEMAS["observations"]
    )
    return spark.createDataFrame([list(r) + [None] * (len(NAMES) - len(r)) for r in rows], schema)


def test_dedupe_and_day_columns(spark):
    rows = [
        (datetime(2016, 2, 29, 12, 0), "p1", "e1", "8302-2", "Body Height", "170.2"),
        (datetime(2016, 2, 29, 12, 0), "p1", "e1", "8302-2", "Body Height", "170.2"),
        (datetime(2016, 2, 29, 12, 0), "p1", "e1", "8302-2", "Body Height", "170.3"),
        (datetime(2016, 3, 31, 23, 59, 59), "p2", "e2", "72166-2", "Tobacco", "Never smoker"),
    ]
    gold = job.observations(silver_observations(spark, rows))
    assert gold.columns == NAMES[1:] + ["year", "month", "day"]  # date dropped
    got = sorted((r["value"], r["year"], r["month"], r["day"]) for r in gold.collect())
    assert got == [("170.2", 2016, 2, 29), ("170.3", 2016, 2, 29), ("Never smoker", 2016, 3, 31)]


def test_main_on_generated_data(synthea_csv, synthea_silver, tmp_path):
    output = tmp_path / "gold" / "observations"
    job.main(["--input", str(synthea_silver / "observations"), "--output", str(output)])
    with open(synthea_csv / "observations" / "observations.csv", newline="") as source:
        rows = {tuple(r) for r in csv.reader(source)}
    rows = {r for r in rows if r[0] != "DATE"}
    days = {r[0][:10] for r in rows}
    table = read_back(output, partitioning="hive")
    assert table.num_rows == len(rows)
    assert len(list(output.glob("year=*/month=*/day=*"))) == len(days)
    assert len(data_files(output)) == len(days)  # one file per day partition
    assert "date" not in table.column_names
