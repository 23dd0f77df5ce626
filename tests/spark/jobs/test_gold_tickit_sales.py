"""gold_tickit_sales: the unload query's aggregate, by category and by date, partitioned."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

import pytest

from deploy.sample_data import tickit as tickit_data
from tests.spark.conftest import REPO, data_files, load_job, read_back, write_parquet

job = load_job("gold_tickit_sales")
SILVER = load_job("silver_tickit")
DAYS = [date(2008, 1, 30), date(2008, 1, 31), date(2008, 2, 1)]


@pytest.fixture(scope="module")
def tickit():
    return tickit_data.generate(scale=0.2)


@pytest.fixture(scope="module")
def silver_root(tickit, tmp_path_factory):
    """Silver TICKIT as the silver job lays it out: facts by load_date, snapshots whole."""
    root = tmp_path_factory.mktemp("silver_tickit")
    for table, spec in SILVER.TICKIT_SCHEMAS.items():
        if table in SILVER.INCREMENTAL:
            for day in DAYS:
                rows = tickit.rows_for_day(table, day)
                if table == "sales" and day == DAYS[0]:
                    rows = rows + rows[:1]  # a duplicate row must not count twice
                write_parquet(root / table / f"load_date={day}", spec, rows)
        else:
            write_parquet(root / table, spec, tickit.tables[table])
    return root


def expected_totals(tickit, by_category: bool) -> dict:
    """The unload query in Python over the same days."""
    sales = [row for day in DAYS for row in tickit.rows_for_day("sales", day)]
    events = {e[0]: e for e in tickit.tables["event"]}
    categories = {c[0]: c for c in tickit.tables["category"]}
    calendar = {d[0]: d[1] for d in tickit.tables["date"]}
    listings = {row[0] for day in DAYS for row in tickit.rows_for_day("listing", day)}
    groups = defaultdict(list)
    for sale in sales:
        if sale[1] not in listings:
            continue
        category = categories[events[sale[4]][2]]
        key = (category[1], category[2], calendar[sale[5]]) if by_category else calendar[sale[5]]
        groups[key].append(sale)
    return {
        key: (len(rows), sum(r[6] for r in rows), sum(r[7] for r in rows), sum(r[8] for r in rows),
              len({r[3] for r in rows}), len({r[2] for r in rows}))
        for key, rows in groups.items()
    }  # fmt: skip


def measures(row: dict) -> tuple:
    return tuple(row[name] for name in ("sale_count", "tickets_sold", "gross_sales", "commission",
                                        "distinct_buyers", "distinct_sellers"))  # fmt: skip


def test_main_writes_both_aggregates(spark, tickit, silver_root, tmp_path):
    by_category, by_date = tmp_path / "gold" / "by_category", tmp_path / "gold" / "by_date"
    args = ["--silver", str(silver_root), "--output-by-category", str(by_category)]
    job.main(args + ["--output-by-date", str(by_date)])

    categories = read_back(by_category, partitioning="hive")
    sql = (REPO / "sql" / "tickit" / "unload" / "sales_by_category.sql").read_text()
    select = sql[sql.index("SELECT") + 6 : sql.index("FROM")]
    names = [re.split(r"\.| AS ", item.strip())[-1] for item in select.split(",\n")]
    assert categories.column_names == names[2:] + names[:2]  # the query's columns, partitions last
    got = {
        (r["catgroup"], r["catname"], r["sale_date"]): measures(r) for r in categories.to_pylist()
    }
    assert got == expected_totals(tickit, by_category=True)
    folders = {p.relative_to(by_category).as_posix() for p in by_category.glob("*/*")}
    assert folders == {f"catgroup={g}/catname={n}" for g, n, _ in got}
    assert all(len(data_files(by_category / f)) == 1 for f in folders)  # one file each

    dates = read_back(by_date, partitioning="hive")
    got = {r["sale_date"]: measures(r) for r in dates.to_pylist()}
    assert got == expected_totals(tickit, by_category=False)
    assert {(r["year"], r["month"]) for r in dates.to_pylist()} == {(2008, 1), (2008, 2)}
    assert sorted(p.relative_to(by_date).as_posix() for p in by_date.glob("*/*")) == [
        "year=2008/month=1", "year=2008/month=2",
    ]  # fmt: skip
    assert len(data_files(by_date)) == 2
