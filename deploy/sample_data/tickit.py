"""Deterministic TICKIT-shaped sample data for the local run and the tests.

Same seed and scale, same bytes: rows come from a seeded `random.Random` and
gzip is written with a fixed mtime. Scale 1 is small (about 500 users and
1,500 sales over January–February 2008); `scale` multiplies the row counts.
"""

from __future__ import annotations

import gzip
import io
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

FIRST_DAY = date(2008, 1, 1)
FIRST_DATEID = 1827  # TICKIT's dateid of 2008-01-01
CATEGORIES = (
    (1, "Sports", "MLB", "Major League Baseball"),
    (2, "Sports", "NHL", "National Hockey League"),
    (3, "Sports", "NFL", "National Football League"),
    (4, "Sports", "NBA", "National Basketball Association"),
    (5, "Sports", "MLS", "Major League Soccer"),
    (6, "Shows", "Musicals", "Musical theatre"),
    (7, "Shows", "Plays", "All non-musical theatre"),
    (8, "Shows", "Opera", "All opera and light opera"),
    (9, "Concerts", "Pop", "All rock and pop music concerts"),
    (10, "Concerts", "Jazz", "All jazz singers and bands"),
    (11, "Concerts", "Classical", "All symphony, concerto, and choir concerts"),
)
CITIES = (("New York", "NY"), ("Chicago", "IL"), ("Seattle", "WA"), ("Austin", "TX"))
NAMES = ("Ava", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lia")


@dataclass
class TickitData:
    """All seven tables as lists of row tuples in DDL column order."""

    tables: dict[str, list[tuple]] = field(default_factory=dict)
    # Column index of the event time for the fact tables.
    event_time_index = {"listing": 7, "sales": 9}

    def rows_for_day(self, table: str, day: date) -> list[tuple]:
        """One night's extract: a fact's rows inside [day, day + 1); a full snapshot otherwise."""
        rows = self.tables[table]
        index = self.event_time_index.get(table)
        if index is None:
            return rows
        start = datetime.combine(day, time())
        end = start + timedelta(days=1)
        return [row for row in rows if start <= row[index] < end]


def dateid(day: date, first_day: date = FIRST_DAY) -> int:
    return FIRST_DATEID + (day - first_day).days


def generate(
    scale: float = 1.0, seed: int = 2008, days: int = 60, first_day: date = FIRST_DAY
) -> TickitData:
    """Build the whole dataset; facts span `days` days from `first_day` (2008-01-01; a
    later day gives the same rows moved there, as `deploy up --sample-night` lands)."""
    rng = random.Random(seed)
    n_users, n_venues, n_events = int(500 * scale), max(5, int(20 * scale)), int(120 * scale)
    users = _users(rng, n_users)
    venues = _venues(rng, n_venues)
    calendar = _calendar(first_day)
    events = _events(rng, n_events, n_venues, days, first_day)
    listings, sales = _listings_and_sales(
        rng, int(2000 * scale), n_users, n_events, days, first_day
    )
    return TickitData(
        tables={
            "users": users,
            "venue": venues,
            "category": list(CATEGORIES),
            "date": calendar,
            "event": events,
            "listing": listings,
            "sales": sales,
        }
    )


def _users(rng: random.Random, count: int) -> list[tuple]:
    users = []
    for userid in range(1, count + 1):
        first, last = rng.choice(NAMES), rng.choice(NAMES) + "son"
        city, state = rng.choice(CITIES)
        likes = tuple(rng.choice((True, False, None)) for _ in range(10))
        users.append(
            (userid, f"U{userid:07d}", first, last, city, state, f"user{userid}@example.com",
             f"(555) {userid % 1000:03d}-{userid % 10000:04d}") + likes
        )  # fmt: skip
    return users


def _venues(rng: random.Random, count: int) -> list[tuple]:
    venues = []
    for venueid in range(1, count + 1):
        city, state = rng.choice(CITIES)
        venues.append((venueid, f"Venue {venueid}", city, state, rng.choice((0, 2000, 18000))))
    return venues


def _calendar(first_day: date) -> list[tuple]:
    calendar = []
    for offset in range(366):
        day = first_day + timedelta(days=offset)
        calendar.append(
            (dateid(day, first_day), day, day.strftime("%a").upper()[:3],
             int(day.strftime("%U")) + 1, day.strftime("%b").upper(),
             f"{(day.month - 1) // 3 + 1}", day.year, day.month == 1 and day.day == 1)
        )  # fmt: skip
    return calendar


def _events(
    rng: random.Random, count: int, n_venues: int, days: int, first_day: date
) -> list[tuple]:
    events = []
    for eventid in range(1, count + 1):
        day = first_day + timedelta(days=rng.randrange(days + 30))
        start = datetime.combine(day, time(rng.choice((14, 19, 20))))
        events.append(
            (eventid, rng.randint(1, n_venues), rng.randint(1, len(CATEGORIES)),
             dateid(day, first_day), f"Event {eventid}", start)
        )  # fmt: skip
    return events


def _listings_and_sales(
    rng: random.Random, count: int, n_users: int, n_events: int, days: int, first_day: date
) -> tuple[list[tuple], list[tuple]]:
    """Listings over the period; three in four sell within three days (inside the period)."""
    listings, sales = [], []
    salesid = 0
    for listid in range(1, count + 1):
        listtime = datetime.combine(first_day, time()) + timedelta(
            seconds=rng.randrange(days * 86400)
        )
        tickets, price = rng.randint(1, 8), Decimal(rng.randint(20, 400))
        listings.append(
            (listid, rng.randint(1, n_users), rng.randint(1, n_events),
             dateid(listtime.date(), first_day), tickets, price, price * tickets, listtime)
        )  # fmt: skip
        if rng.random() < 0.75:
            salesid += 1
            saletime = listtime + timedelta(seconds=rng.randrange(3 * 86400))
            if saletime.date() >= first_day + timedelta(days=days):
                continue
            qty = rng.randint(1, tickets)
            paid = price * qty
            sales.append(
                (salesid, listid, listings[-1][1], rng.randint(1, n_users), listings[-1][2],
                 dateid(saletime.date(), first_day), qty, paid, (paid * Decimal("0.15")).quantize(
                     Decimal("0.01")), saletime)
            )  # fmt: skip
    return listings, sales


def format_value(value) -> str:
    """Redshift COPY text: empty is NULL (EMPTYASNULL), booleans as t/f."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def to_pipe_gzip(rows: list[tuple]) -> bytes:
    """Pipe-delimited, gzipped, byte-for-byte reproducible (fixed gzip mtime)."""
    text = "".join("|".join(format_value(v) for v in row) + "\n" for row in rows)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
        gz.write(text.encode())
    return buffer.getvalue()


def extract_objects(data: TickitData, day: date, prefix: str = "tickit") -> dict[str, bytes]:
    """The landing objects of one night: a data file and a _SUCCESS marker per table."""
    objects = {}
    for table in data.tables:
        folder = f"{prefix}/{table}/ds={day.isoformat()}/"
        objects[folder + "part-0000.txt.gz"] = to_pipe_gzip(data.rows_for_day(table, day))
        objects[folder + "_SUCCESS"] = b""
    return objects
