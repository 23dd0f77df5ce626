"""silver_synthea: typed schema, both date formats, duplicates, bad input, replace on re-run."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from deploy.sample_data import synthea
from tests.spark.conftest import data_files, load_job, read_back, tree

job = load_job("silver_synthea")
ENCOUNTER_HEADER = list(synthea.COLUMNS["encounters"])


def raw_frame(spark, table: str, rows: list[dict], file: str = "file:/bronze/x.csv"):
    """Bronze rows as the reader hands them over: text columns plus the source file."""
    columns = [name for name, _, _ in job.SYNTHEA_SCHEMAS[table]]
    records = [[row.get(name) for name in columns] + [file] for row in rows]
    return spark.createDataFrame(
        records, ", ".join(f"`{c}` string" for c in columns) + ", _source_file string"
    )


def encounter(**values) -> dict:
    row = {"Id": "e1", "START": "2011-03-04T10:15:00Z", "PATIENT": "p1", "CODE": "185345009"}
    row.update(values)
    return row


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def encounter_csv(**overrides) -> list[str]:
    values = dict.fromkeys(ENCOUNTER_HEADER, "")
    values.update(Id="e1", START="2011-03-04T10:15:00Z", PATIENT="p1", CODE="185345009")
    values.update(overrides)
    return [values[name] for name in ENCOUNTER_HEADER]


def run(table: str, source, output) -> None:
    job.main(
        ["--table", table, "--input", str(source), "--output", str(output)]
        + ["--load-date", "2024-05-01"]
    )


def test_schemas_match_the_generator_columns():
    for table, columns in synthea.COLUMNS.items():
        assert [name for name, _, _ in job.SYNTHEA_SCHEMAS[table]] == list(columns)


def test_to_silver_types_dates_duplicates_and_empty_fields(spark):
    rows = [
        encounter(Id="e1", START="2011-03-04T10:15:00Z", REASONCODE="444814009"),
        encounter(Id="e1", START="2011-03-04T10:15:00Z", REASONCODE="444814009"),  # duplicate
        encounter(Id="e2", START="2012-02-29", STOP="2012-02-29T23:59:59Z", REASONCODE=""),
        encounter(Id="e3", START="2011-03-04T10:15:00+02:00", TOTAL_CLAIM_COST="1234.5"),
    ]
    silver = job.to_silver(raw_frame(spark, "encounters", rows), "encounters")

    types = dict(silver.dtypes)
    assert list(types) == [name.lower() for name in ENCOUNTER_HEADER]
    assert types["start"] == types["stop"] == "timestamp"
    assert types["code"] == types["reasoncode"] == "bigint"
    assert types["total_claim_cost"] == "decimal(18,2)"
    assert types["description"] == "string"
    got = {row["id"]: row for row in silver.collect()}
    assert sorted(got) == ["e1", "e2", "e3"]  # the duplicate is gone
    assert got["e1"]["start"] == datetime(2011, 3, 4, 10, 15)  # UTC session
    assert got["e2"]["start"] == datetime(2012, 2, 29)  # a date means midnight UTC
    assert got["e2"]["stop"] == datetime(2012, 2, 29, 23, 59, 59)
    assert got["e2"]["reasoncode"] is None  # empty text is NULL
    assert got["e3"]["start"] == datetime(2011, 3, 4, 8, 15)  # an offset is honoured
    assert got["e3"]["total_claim_cost"] == Decimal("1234.50")
    assert got["e3"]["description"] is None


def test_date_columns_keep_the_calendar_day_written(spark):
    rows = [
        {"Id": "a", "BIRTHDATE": "2000-02-29", "LAT": "42.5", "HEALTHCARE_EXPENSES": "10.25"},
        {"Id": "b", "BIRTHDATE": "1999-12-31T23:30:00Z", "LON": "-71.061234", "MARITAL": ""},
    ]
    silver = job.to_silver(raw_frame(spark, "patients", rows), "patients")
    assert dict(silver.dtypes)["birthdate"] == "date"
    assert dict(silver.dtypes)["lat"] == "double"
    got = {row["id"]: row for row in silver.collect()}
    assert got["a"]["birthdate"] == date(2000, 2, 29)
    assert got["b"]["birthdate"] == date(1999, 12, 31)
    assert got["a"]["lat"] == 42.5 and got["b"]["lon"] == -71.061234
    assert got["a"]["healthcare_expenses"] == Decimal("10.25")
    assert got["b"]["marital"] is None


def test_date_and_number_patterns():
    """What parse_column lets try_cast see (try_cast alone accepts "2011-3-4" or " 1")."""
    import re

    accepted = {
        "timestamp": [
            "2011-03-04",
            "2011-03-04T10:15:00Z",
            "2008-01-05 14:03:22",
            "2011-03-04T10:15",
        ],
        "bigint": ["185345009", "-1"],
        "decimal": ["12.50", "7", ".5"],
        "double": ["-71.061234", "1e-3"],
        "boolean": ["t", "f", "TRUE"],
    }
    rejected = {
        "timestamp": ["2011-3-4", "03/04/2011", "2011-03-04T", " 2011-03-04", "2011"],
        "bigint": ["1.5", "1e3", " 1", "12a"],
        "decimal": ["12,50", "1e3", "NaN", ""],
        "double": ["NaN", "Infinity", "1,5"],
        "boolean": ["maybe", ""],
    }
    for sql_type, values in accepted.items():
        assert all(re.search(job.PATTERNS[sql_type].replace("(?i)", ""), v, re.I) for v in values)
    for sql_type, values in rejected.items():
        pattern = job.PATTERNS[sql_type].replace("(?i)", "")
        assert not any(re.search(pattern, v, re.I) for v in values), sql_type


def test_check_header_names_missing_and_unexpected_columns():
    header = ",".join(ENCOUNTER_HEADER).replace("REASONCODE", "REASON_CODE")
    with pytest.raises(job.BadInputError) as failure:
        job.check_header("s3://b/enc.csv", header, ENCOUNTER_HEADER)
    assert str(failure.value) == (
        "bad input: file s3://b/enc.csv: wrong header: missing columns ['REASONCODE'], "
        "unexpected columns ['REASON_CODE']"
    )
    swapped = ENCOUNTER_HEADER[1::-1] + ENCOUNTER_HEADER[2:]
    with pytest.raises(job.BadInputError, match="columns out of order"):
        job.check_header("f", ",".join(swapped), ENCOUNTER_HEADER)
    job.check_header("f", ",".join(ENCOUNTER_HEADER), ENCOUNTER_HEADER)


def test_main_writes_typed_deduplicated_parquet(synthea_csv, synthea_silver):
    for table in synthea.TABLES:
        lines = (synthea_csv / table / f"{table}.csv").read_text().splitlines()[1:]
        silver = read_back(synthea_silver / table)
        assert silver.num_rows == len(set(lines))  # exact duplicates dropped, nothing else
        assert silver.column_names == [c.lower() for c in synthea.COLUMNS[table]]
        assert data_files(synthea_silver / table)[0].name.endswith(".snappy.parquet")
    schema = read_back(synthea_silver / "encounters").schema
    assert schema.field("start").type == pa.timestamp("us", tz="UTC")
    assert schema.field("reasoncode").type == pa.int64()
    assert schema.field("payer_coverage").type == pa.decimal128(18, 2)
    assert read_back(synthea_silver / "patients").schema.field("birthdate").type == pa.date32()
    assert read_back(synthea_silver / "conditions").schema.field("start").type == pa.date32()
    assert read_back(synthea_silver / "observations").schema.field("date").type == pa.timestamp(
        "us", tz="UTC"
    )


@pytest.fixture(scope="module")
def previous_silver(spark, tmp_path_factory) -> Path:
    """A silver encounters table from an earlier, good run."""
    root = tmp_path_factory.mktemp("previous")
    (root / "good.csv").write_text(csv_text(ENCOUNTER_HEADER, [encounter_csv(Id="kept")]))
    run("encounters", root / "good.csv", root / "encounters")
    return root / "encounters"


def test_a_rerun_replaces_the_whole_table(previous_silver, tmp_path):
    bronze, output = tmp_path / "bronze", tmp_path / "silver" / "encounters"
    bronze.mkdir()
    shutil.copytree(previous_silver, output)
    (bronze / "a.csv").write_text(
        csv_text(ENCOUNTER_HEADER, [encounter_csv(Id="n1"), encounter_csv(Id="n2")])
    )
    (bronze / "b.csv").write_text(csv_text(ENCOUNTER_HEADER, [encounter_csv(Id="n1")]))
    run("encounters", bronze, output)
    assert sorted(read_back(output).column("id").to_pylist()) == ["n1", "n2"]
    assert [p.name for p in (tmp_path / "silver").iterdir()] == ["encounters"]  # no temp left


@pytest.mark.parametrize(
    "case, rows, header, message",
    [
        (
            "wrong header",
            [encounter_csv()],
            [name for name in ENCOUNTER_HEADER if name != "STOP"] + ["STOPP"],
            "wrong header: missing columns ['STOP'], unexpected columns ['STOPP']",
        ),
        (
            "bad date",
            [encounter_csv(), encounter_csv(Id="e2", START="2011-13-01")],
            ENCOUNTER_HEADER,
            "column START: cannot parse '2011-13-01' as timestamp",
        ),
        (
            "wrong field count",
            [encounter_csv()[:-2]],
            ENCOUNTER_HEADER,
            "malformed row (expected 15 fields)",
        ),
    ],
)
def test_bad_input_fails_and_leaves_the_output_untouched(
    previous_silver, tmp_path, case, rows, header, message
):
    bronze, output = tmp_path / "bronze", tmp_path / "silver" / "encounters"
    bronze.mkdir()
    shutil.copytree(previous_silver, output)
    before = tree(output)
    (bronze / "good.csv").write_text(csv_text(ENCOUNTER_HEADER, [encounter_csv(Id="new")]))
    (bronze / "bad.csv").write_text(csv_text(header, rows))

    with pytest.raises(job.BadInputError) as failure:
        run("encounters", bronze, output)
    assert f"{bronze / 'bad.csv'}" in str(failure.value)  # file:/... or file:///...
    assert message in str(failure.value)
    assert tree(output) == before
    assert [p.name for p in (tmp_path / "silver").iterdir()] == ["encounters"]  # no temp left


def test_bad_input_on_a_first_run_writes_nothing(spark, tmp_path):
    (tmp_path / "bad.csv").write_text(
        csv_text(ENCOUNTER_HEADER, [encounter_csv(), encounter_csv(BASE_ENCOUNTER_COST="n/a")])
    )
    with pytest.raises(job.BadInputError, match="column BASE_ENCOUNTER_COST: cannot parse 'n/a'"):
        run("encounters", tmp_path / "bad.csv", tmp_path / "lake" / "silver" / "encounters")
    assert not [p for p in tmp_path.joinpath("lake").rglob("*") if p.is_file()]


def test_no_input_files_fails(spark, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "_SUCCESS").write_text("")
    with pytest.raises(job.BadInputError, match="no data files at"):
        run("patients", tmp_path / "empty", tmp_path / "out")
