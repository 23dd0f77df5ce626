"""silver_tickit: DDL types, day partitions of the facts, snapshots of the rest, bad input."""

from __future__ import annotations

import gzip
import re
from datetime import date, timezone

import pyarrow as pa
import pytest

from deploy.sample_data import tickit as tickit_data
from tests.spark.conftest import REPO, load_job, read_back, tree

job = load_job("silver_tickit")
DAY1, DAY2 = date(2008, 1, 5), date(2008, 1, 6)
DDL_TYPES = {"SMALLINT": "smallint", "INTEGER": "int", "BOOLEAN": "boolean", "DATE": "date",
             "TIMESTAMP": "timestamp", "CHAR": "string", "VARCHAR": "string"}  # fmt: skip


def ddl_columns(table: str) -> list[tuple[str, str, bool]]:
    """(name, Spark type, NOT NULL) from sql/tickit/ddl/<table>.sql."""
    text = (REPO / "sql" / "tickit" / "ddl" / f"{table}.sql").read_text()
    body = text[text.index("(") + 1 : text.rindex(")")]
    columns = []
    for line in body.splitlines():
        match = re.match(r"\s*(\w+)\s+(\w+)(\([\d, ]+\))?(.*?),?$", line)
        if not match:
            continue
        name, kind, size, rest = match.groups()
        sql_type = (
            f"decimal({size[1:-1].replace(' ', '')})" if kind == "DECIMAL" else DDL_TYPES[kind]
        )
        columns.append((name, sql_type, "NOT NULL" in rest))
    return columns


@pytest.fixture(scope="module")
def tickit():
    return tickit_data.generate(scale=0.2)


def land(root, tickit, day: date) -> None:
    for key, blob in tickit_data.extract_objects(tickit, day).items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)


def run(table: str, bronze, output, day: date) -> None:
    job.main(
        ["--table", table, "--input", str(bronze / "tickit" / table / f"ds={day}")]
        + ["--output", str(output / table), "--load-date", day.isoformat()]
    )


def naive(value):
    return (
        value.astimezone(timezone.utc).replace(tzinfo=None) if hasattr(value, "tzinfo") else value
    )


def test_schemas_follow_the_ddl():
    for table in tickit_data.generate(scale=0.01).tables:
        assert list(job.TICKIT_SCHEMAS[table]) == ddl_columns(table), table


def test_facts_get_a_partition_per_load_date_and_snapshots_are_replaced(spark, tmp_path, tickit):
    bronze, silver = tmp_path / "bronze", tmp_path / "silver"
    for day in (DAY1, DAY2):
        land(bronze, tickit, day)
        run("sales", bronze, silver, day)
    run("users", bronze, silver, DAY1)
    run("sales", bronze, silver, DAY1)  # a re-run of the first night

    assert sorted(p.name for p in (silver / "sales").iterdir()) == [
        "load_date=2008-01-05", "load_date=2008-01-06",
    ]  # fmt: skip
    sales = read_back(silver / "sales", partitioning="hive")
    expected = tickit.rows_for_day("sales", DAY1) + tickit.rows_for_day("sales", DAY2)
    assert sorted(tuple(naive(v) for v in r.values())[:-1] for r in sales.to_pylist()) == sorted(
        expected
    )  # typed values equal the source, no duplicates after the re-run
    schema = sales.schema
    assert schema.field("salesid").type == pa.int32()
    assert schema.field("dateid").type == pa.int16()
    assert schema.field("pricepaid").type == pa.decimal128(8, 2)
    assert schema.field("saletime").type == pa.timestamp("us", tz="UTC")

    users = read_back(silver / "users")  # a snapshot: no load_date folders
    assert users.num_rows == len(tickit.tables["users"])
    assert users.schema.field("likesports").type == pa.bool_()
    assert [naive(v) for v in users.to_pylist()[0].values()] in [
        list(u) for u in tickit.tables["users"]
    ]
    assert sorted(p.name for p in silver.iterdir()) == ["sales", "users"]  # no temp left


def test_bad_input_fails_naming_file_and_column_and_writes_nothing(spark, tmp_path):
    folder = tmp_path / "bronze" / "tickit" / "sales" / f"ds={DAY1}"
    folder.mkdir(parents=True)
    good = "2|1|1|1|1|1827|2|10.00|1.50|2008-01-05 09:00:00\n"
    bad = "1|1|1|1|1|1827|x|10.00|1.50|2008-01-05 10:00:00\n"
    (folder / "part-0000.txt.gz").write_bytes(gzip.compress((good + bad).encode()))
    partition = tmp_path / "silver" / "sales" / f"load_date={DAY1}"
    partition.mkdir(parents=True)
    (partition / "part-old.parquet").write_bytes(b"previous run")
    before = tree(tmp_path / "silver")

    with pytest.raises(job.BadInputError) as failure:
        run("sales", tmp_path / "bronze", tmp_path / "silver", DAY1)
    assert f"{folder / 'part-0000.txt.gz'}" in str(failure.value)
    assert "column qtysold: cannot parse 'x' as smallint" in str(failure.value)
    assert tree(tmp_path / "silver") == before
