"""One night of sample extracts for a given day: what `deploy up --sample-night` lands."""

from __future__ import annotations

import gzip
from datetime import date, datetime

from deploy.sample_data.night import night_objects

DAY = date(2026, 12, 6)


def test_every_table_lands_under_the_nights_ds_with_tickits_success_markers():
    objects = night_objects(DAY, scale=0.2)
    folders = {key.rsplit("/", 1)[0] for key in objects}
    assert all(folder.endswith("/ds=2026-12-06") for folder in folders)
    tickit = {f.split("/")[1] for f in folders if f.startswith("tickit/")}
    assert tickit == {"users", "venue", "category", "date", "event", "listing", "sales"}
    assert {f"tickit/{t}/ds=2026-12-06/_SUCCESS" for t in tickit} <= set(objects)
    synthea = {f.split("/")[1] for f in folders if f.startswith("synthea/")}
    assert synthea == {"patients", "encounters", "conditions", "observations"}


def test_the_facts_lie_inside_the_nights_interval():
    """The nightly DAGs check that staged event times lie in [ds, ds + 1 day)."""
    sales = night_objects(DAY, scale=0.2)["tickit/sales/ds=2026-12-06/part-0000.txt.gz"]
    rows = gzip.decompress(sales).decode().splitlines()
    assert rows
    times = [datetime.strptime(r.split("|")[9], "%Y-%m-%d %H:%M:%S").date() for r in rows]
    assert set(times) == {DAY}
