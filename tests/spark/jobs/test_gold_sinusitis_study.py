"""gold_sinusitis_study: case-insensitive sinusitis, empty demographics, exact condition_age."""

from __future__ import annotations

import csv
from datetime import date

import pyarrow as pa

from tests.spark.conftest import data_files, load_job, read_back

job = load_job("gold_sinusitis_study")
SILVER = load_job("silver_synthea")


def silver(spark, table: str, rows: list[dict]):
    spec = SILVER.SYNTHEA_SCHEMAS[table]
    schema = ", ".join(f"{name.lower()} {sql_type}" for name, sql_type, _ in spec)
    return spark.createDataFrame([[r.get(n.lower()) for n, _, _ in spec] for r in rows], schema)


def patient(id_: str, birthdate: date, **demographics) -> dict:
    values = {"marital": "M", "race": "white", "ethnicity": "nonhispanic", "gender": "F"}
    return {"id": id_, "birthdate": birthdate, "first": "Ann", **values, **demographics}


def condition(patient_id: str, start: date, description="Sinusitis (disorder)", code=36971009):
    return {"start": start, "patient": patient_id, "encounter": "e", "code": code,
            "description": description}  # fmt: skip


PATIENTS = [
    patient("leapling", date(2000, 2, 29)),
    patient("leapling", date(2000, 2, 29)),  # duplicate row
    patient("new-year", date(1999, 12, 31)),
    patient("no-marital", date(1990, 1, 1), marital=None),
    patient("blank-race", date(1990, 1, 1), race=""),
    patient("space-gender", date(1990, 1, 1), gender=" "),
    patient("no-ethnicity", date(1990, 1, 1), ethnicity=None),
]
CONDITIONS = [
    condition("leapling", date(2001, 2, 28)),  # 365 days: not yet a year
    condition("leapling", date(2001, 3, 1)),  # 366
    condition("leapling", date(2001, 3, 1)),  # duplicate row
    condition("leapling", date(2004, 2, 29), "CHRONIC SINUSITIS (DISORDER)", 40055000),  # 1461
    condition("new-year", date(2000, 3, 1), "Viral sinusitis (disorder)", 444814009),  # 61
    condition("new-year", date(2000, 3, 1), "Acute viral pharyngitis (disorder)", 195662009),
    condition("no-marital", date(2000, 1, 1)),
    condition("blank-race", date(2000, 1, 1)),
    condition("space-gender", date(2000, 1, 1)),
    condition("no-ethnicity", date(2000, 1, 1)),
    condition("nobody", date(2000, 1, 1)),  # no such patient
]


AGES = [  # (born, condition start, calendar days between them)
    (date(2000, 2, 29), date(2000, 3, 1), 1),
    (date(2000, 1, 31), date(2000, 2, 29), 29),
    (date(1999, 2, 28), date(2000, 2, 28), 365),
    (date(2000, 2, 28), date(2001, 2, 28), 366),  # 2000-02-29 counts
    (date(2019, 12, 31), date(2020, 12, 31), 366),
    (date(1900, 1, 1), date(2000, 1, 1), 36524),  # 1900 is no leap year, 2000 is
    (date(2020, 5, 5), date(2020, 5, 5), 0),
]


def test_study_rows_columns_and_condition_age(spark):
    patients = PATIENTS + [patient(f"age{i}", born) for i, (born, _, _) in enumerate(AGES)]
    conditions = CONDITIONS + [condition(f"age{i}", start) for i, (_, start, _) in enumerate(AGES)]
    study = job.sinusitis_study(
        silver(spark, "conditions", conditions), silver(spark, "patients", patients)
    )
    assert study.columns == [
        "patient", "code", "description", "condition_age", "marital", "race", "ethnicity", "gender",
    ]  # fmt: skip
    assert dict(study.dtypes)["condition_age"] == "int"
    got = sorted((r["patient"], r["description"], r["condition_age"]) for r in study.collect())
    assert got == sorted(
        [
            ("leapling", "CHRONIC SINUSITIS (DISORDER)", 1461),
            ("leapling", "Sinusitis (disorder)", 365),
            ("leapling", "Sinusitis (disorder)", 366),
            ("new-year", "Viral sinusitis (disorder)", 61),
        ]
        + [(f"age{i}", "Sinusitis (disorder)", days) for i, (_, _, days) in enumerate(AGES)]
    )  # duplicates, other conditions, empty demographics and unknown patients are gone
    assert all((start - born).days == days for born, start, days in AGES)


def test_main_writes_one_file_without_partitions(synthea_csv, synthea_silver, tmp_path):
    output = tmp_path / "gold" / "sinusitis_study"
    job.main(
        [
            "--input",
            str(synthea_silver / "conditions"),
            "--patients",
            str(synthea_silver / "patients"),
        ]
        + ["--output", str(output)]
    )
    assert len(data_files(output)) == 1
    assert [p for p in output.iterdir() if p.is_dir()] == []
    table = read_back(output)
    assert table.schema.field("condition_age").type == pa.int32()

    def rows(table_name: str) -> list[dict]:
        with open(synthea_csv / table_name / f"{table_name}.csv", newline="") as source:
            return list(csv.DictReader(source))

    people = {p["Id"]: p for p in rows("patients")}
    demographics = ("MARITAL", "RACE", "ETHNICITY", "GENDER")
    expected = {
        (c["PATIENT"], c["DESCRIPTION"], c["START"][:10], c["ENCOUNTER"])
        for c in rows("conditions")
        if "sinusitis" in c["DESCRIPTION"].lower()
        and all(people[c["PATIENT"]][d].strip() for d in demographics)
    }
    assert table.num_rows == len(expected) > 0
    ages = {
        (c["PATIENT"], c["START"][:10]): (
            date.fromisoformat(c["START"][:10])
            - date.fromisoformat(people[c["PATIENT"]]["BIRTHDATE"][:10])
        ).days
        for c in rows("conditions")
    }
    got = table.to_pylist()
    assert all(
        r["condition_age"] in {a for (p, _), a in ages.items() if p == r["patient"]} for r in got
    )
    assert {r["description"].lower() for r in got} <= {
        "sinusitis (disorder)", "viral sinusitis (disorder)", "chronic sinusitis (disorder)",
    }  # fmt: skip
