"""The sample-data generator: deterministic, scalable, TICKIT-consistent."""

from __future__ import annotations

import gzip
from datetime import date, datetime, timedelta

from deploy.sample_data.tickit import extract_objects, generate, to_pipe_gzip
from lakehouse.tickit import TABLES

DAY = date(2008, 1, 5)


def test_same_seed_same_bytes_other_seed_other_bytes():
    assert extract_objects(generate(), DAY) == extract_objects(generate(), DAY)
    assert extract_objects(generate(seed=1), DAY) != extract_objects(generate(), DAY)


def test_scale_multiplies_the_row_counts():
    small, large = generate(scale=1), generate(scale=3)
    for table in ("users", "event", "listing", "sales"):
        assert 2.5 < len(large.tables[table]) / len(small.tables[table]) < 3.5, table
    assert len(large.tables["category"]) == len(small.tables["category"]) == 11


def test_every_table_has_an_extract_and_a_success_marker():
    objects = extract_objects(generate(), DAY)
    for table in TABLES:
        folder = table.landing_prefix(DAY.isoformat())
        assert folder + "_SUCCESS" in objects
        assert gzip.decompress(objects[folder + "part-0000.txt.gz"]), table.name


def test_fact_extracts_hold_exactly_their_half_open_day():
    data = generate()
    start = datetime(2008, 1, 5)
    for table, column in (("listing", 7), ("sales", 9)):
        rows = data.rows_for_day(table, DAY)
        assert rows and all(start <= row[column] < start + timedelta(days=1) for row in rows)
        every_day = [
            r for d in range(60) for r in data.rows_for_day(table, date(2008, 1, 1) + timedelta(d))
        ]
        assert sorted(every_day) == sorted(data.tables[table]), "each row in exactly one day"


def test_sales_reference_existing_listings_users_and_events():
    data = generate()
    listings = {row[0]: row for row in data.tables["listing"]}
    users = {row[0] for row in data.tables["users"]}
    events = {row[0] for row in data.tables["event"]}
    for sale in data.tables["sales"]:
        listing = listings[sale[1]]
        assert sale[2] == listing[1] and sale[4] == listing[2]
        assert sale[3] in users and sale[4] in events
        assert sale[9] >= listing[7], "sold after it was listed"


def test_text_format_is_what_the_copy_options_expect():
    text = gzip.decompress(to_pipe_gzip([(1, None, True, datetime(2008, 1, 5, 7, 8, 9))])).decode()
    assert text == "1||t|2008-01-05 07:08:09\n"
