"""deploy.sample_data.synthea: deterministic, Synthea-shaped, with flaws the jobs must handle."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date

import pytest

from deploy.sample_data import synthea

SCALE = 0.002
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture(scope="module")
def data() -> dict[str, bytes]:
    return synthea.generate(SCALE, seed=3)


def rows(blob: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(blob.decode())))


def test_same_seed_and_scale_give_the_same_bytes(data):
    assert synthea.generate(SCALE, seed=3) == data
    other = synthea.generate(SCALE, seed=4)
    assert all(other[table] != data[table] for table in synthea.TABLES)
    assert synthea.generate(SCALE) == synthea.generate(SCALE, seed=1)  # default seed


def test_default_scale_is_small():
    assert synthea.DEFAULT_SCALE <= 0.002
    assert sum(synthea.row_count(t, synthea.DEFAULT_SCALE) for t in synthea.TABLES) < 20_000


def test_headers_are_synthea_columns_and_every_row_parses(data):
    assert list(data) == ["patients", "encounters", "conditions", "observations"]
    assert synthea.COLUMNS["conditions"] == (
        "START",
        "STOP",
        "PATIENT",
        "ENCOUNTER",
        "CODE",
        "DESCRIPTION",
    )
    for table, blob in data.items():
        parsed = list(csv.reader(io.StringIO(blob.decode())))  # RFC 4180
        assert parsed[0] == list(synthea.COLUMNS[table])
        assert {len(row) for row in parsed} == {len(synthea.COLUMNS[table])}
        assert blob.endswith(b"\n") and b"\r" not in blob
    assert b'"' in data["patients"]  # an address with a comma is quoted
    assert 'Seizure disorder "unspecified"' in {r["DESCRIPTION"] for r in rows(data["conditions"])}


@pytest.mark.parametrize("scale", [0.001, 0.002, 0.004])
def test_row_counts_scale_linearly_and_hit_the_reference_at_scale_1(scale):
    reference = {"patients": 132_000, "encounters": 1_260_000, "conditions": 483_000,
                 "observations": 5_380_000}  # fmt: skip
    assert {t: synthea.row_count(t, 1) for t in reference} == reference
    blobs = synthea.generate(scale, seed=1)
    for table, blob in blobs.items():
        assert blob.count(b"\n") - 1 == round(reference[table] * scale)


def test_exact_duplicate_rows_are_a_few_percent(data):
    for table, blob in data.items():
        lines = blob.decode().splitlines()[1:]
        duplicates = len(lines) - len(set(lines))
        assert duplicates == synthea.duplicate_count(table, SCALE)
        assert 0.005 <= duplicates / len(lines) <= 0.05, table
        seen, repeats = set(), []
        for position, line in enumerate(lines):
            if line in seen:
                repeats.append(position)
            seen.add(line)
        assert min(repeats) < len(lines) - duplicates  # shuffled in, not appended


def test_empty_fields(data):
    encounters = rows(data["encounters"])
    empty_reason = sum(not r["REASONCODE"] for r in encounters) / len(encounters)
    assert 0.5 < empty_reason < 0.9  # mostly empty
    assert all(bool(r["REASONCODE"]) == bool(r["REASONDESCRIPTION"]) for r in encounters)
    patients = rows(data["patients"])
    for column in ("MARITAL", "RACE", "ETHNICITY", "GENDER"):
        empty = sum(not r[column] for r in patients)
        assert 0 < empty < len(patients) / 4, column
    assert all(r["Id"] and r["BIRTHDATE"] for r in patients)


def test_both_date_formats_in_every_date_column(data):
    for table, column in [("patients", "BIRTHDATE"), ("encounters", "START"),
                          ("encounters", "STOP"), ("conditions", "START"),
                          ("observations", "DATE")]:  # fmt: skip
        values = [r[column] for r in rows(data[table])]
        kinds = Counter(
            "date" if DATE_ONLY.match(v) else "iso" if ISO_TIMESTAMP.match(v) else v for v in values
        )
        assert set(kinds) == {"date", "iso"}, (table, column, kinds)
        assert min(kinds.values()) >= len(values) * 0.03


def test_date_ranges():
    assert synthea.day_range("encounters", 1) == (date(2013, 12, 31), date(2020, 12, 31))
    for table, days in (("encounters", 2_558), ("observations", 10_433)):
        for scale in (0.1, 1, 2):
            first, last = synthea.day_range(table, scale)
            assert (last - first).days + 1 == days
        first, last = synthea.day_range(table, 0.002)  # small runs: fewer day partitions
        assert (last - first).days + 1 == round(days * 0.02)


def test_dates_fall_in_the_ranges(data):
    for table, column in (("encounters", "START"), ("observations", "DATE")):
        first, last = synthea.day_range(table, SCALE)
        days = {date.fromisoformat(r[column][:10]) for r in rows(data[table])}
        assert first <= min(days) and max(days) <= last
        assert len(days) > 0.8 * ((last - first).days + 1)  # dense enough to fill the range


def test_descriptions(data):
    encounters = Counter(r["DESCRIPTION"] for r in rows(data["encounters"]))
    assert encounters.most_common(1)[0][0] == "Encounter for symptom"
    big = synthea.generate_table("conditions", 0.01, seed=1)
    conditions = {r["DESCRIPTION"] for r in rows(big)}
    for description in ("Sinusitis (disorder)", "Acute viral pharyngitis (disorder)",
                        "Chronic sinusitis (disorder)", "Viral sinusitis (disorder)",
                        "sinusitis (disorder)", "CHRONIC SINUSITIS (DISORDER)"):  # fmt: skip
        assert description in conditions


def test_keys_are_consistent(data):
    patients = {r["Id"]: r for r in rows(data["patients"])}
    encounters = {r["Id"]: r for r in rows(data["encounters"])}
    assert all(r["PATIENT"] in patients for r in encounters.values())
    for table in ("conditions", "observations"):
        for row in rows(data[table]):
            assert encounters[row["ENCOUNTER"]]["PATIENT"] == row["PATIENT"]
    for row in rows(data["conditions"]):  # a condition starts on or after its patient's birth
        assert row["START"][:10] >= patients[row["PATIENT"]]["BIRTHDATE"][:10]


def test_values_look_like_synthea(data):
    patient = rows(data["patients"])[0]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", patient["Id"]
    )
    assert re.fullmatch(r"999-\d{2}-\d{4}", patient["SSN"])
    for row in rows(data["encounters"])[:50]:
        assert re.fullmatch(r"\d+\.\d{2}", row["TOTAL_CLAIM_COST"])
        assert float(row["PAYER_COVERAGE"]) <= float(row["TOTAL_CLAIM_COST"])
        assert row["STOP"][:10] >= row["START"][:10]
    for row in rows(data["observations"])[:50]:
        assert row["TYPE"] in ("numeric", "text")
        if row["TYPE"] == "numeric":
            float(row["VALUE"])


def test_cli_writes_the_files(tmp_path, capsys):
    synthea.main(["--scale", "0.0005", "--out", str(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{t}.csv" for t in sorted(synthea.TABLES)
    ]
    assert (tmp_path / "patients.csv").read_bytes() == synthea.generate_table("patients", 0.0005)
    assert "observations" in capsys.readouterr().out
