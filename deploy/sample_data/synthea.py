"""Deterministic, vectorised Synthea-shaped CSV: patients, encounters, conditions, observations.

The columns and their order are those of Synthea's CSV exporter (its "CSV File Data
Dictionary"); values are synthetic but shaped like Synthea's: UUID ids, SNOMED and
LOINC codes with their descriptions, Massachusetts addresses, money with two decimals.

Which column is "the date" of the gold specs (docs/data_lake.md#the-gold-specs):
- encounters: ``START`` (an ISO timestamp in Synthea) gives year/month/day;
- observations: ``DATE`` (an ISO timestamp in Synthea) gives year/month/day;
- conditions: ``START`` (a date in Synthea) is the condition start of ``condition_age``,
  counted from the patient's ``BIRTHDATE``.

What the data holds on purpose (the cases the Spark jobs must handle):
- exact duplicate rows: 1 % of patients, 3 % of encounters, 2.5 % of conditions and
  2 % of observations are byte-identical copies of other rows, shuffled in;
- empty fields: REASONCODE/REASONDESCRIPTION empty for most encounters (present for
  about 70 % of "Encounter for symptom" and 10 % of the others); MARITAL (12 %),
  RACE, ETHNICITY (2 % each) and GENDER (1 %) sometimes empty; DEATHDATE, DRIVERS,
  PASSPORT, SUFFIX, MAIDEN, ZIP and condition STOP often empty;
- both date formats in every date column: ``YYYY-MM-DD`` and ``YYYY-MM-DDTHH:MM:SSZ``
  (the native Synthea format dominates, the other one is mixed in); the calendar day
  is the one written (timestamps are UTC);
- descriptions: "Encounter for symptom" is the most common encounter; condition
  descriptions include "Viral sinusitis (disorder)", "Sinusitis (disorder)", "Chronic
  sinusitis (disorder)", "Acute viral pharyngitis (disorder)" and case variants such
  as "sinusitis (disorder)" and "CHRONIC SINUSITIS (DISORDER)"; a few fields hold commas
  and double quotes, so the files exercise RFC 4180 quoting.

Keys are consistent: every encounter, condition and observation belongs to a patient of
patients.csv, conditions and observations point at an encounter of encounters.csv of the
same patient, and a condition starts on or after its patient's birth date. Encounter and
observation dates are drawn independently (the reference data have 2,558 encounter days
but 10,433 observation days, so observations cannot all sit on encounter days).

Sizes: ``scale`` multiplies the reference row counts (``--scale 1``: 132,000 patients,
1,260,000 encounters, 483,000 conditions, 5,380,000 observations, duplicates included).
Encounter days span 2,558 days and observation days 10,433 days, both ending on
2020-12-31, at every scale from 0.1 up; below 0.1 the spans shrink in proportion (keeping
the reference's rows per day), so the small default run writes tens to hundreds of day
partitions rather than thousands of one-row ones.

Determinism: every random value is a counter-based hash (splitmix64) of (seed, stream,
row index) computed with pyarrow.compute, so the same seed and scale give the same bytes
on every machine, and no row is built in a Python loop.

    .venv/bin/python -m deploy.sample_data.synthea --scale 1 --out /tmp/synthea
"""

from __future__ import annotations

import argparse
import hashlib
import time
from datetime import date
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_SCALE = 0.002
TABLES = ("patients", "encounters", "conditions", "observations")
COLUMNS = {
    "patients": (
        "Id", "BIRTHDATE", "DEATHDATE", "SSN", "DRIVERS", "PASSPORT", "PREFIX", "FIRST",
        "LAST", "SUFFIX", "MAIDEN", "MARITAL", "RACE", "ETHNICITY", "GENDER", "BIRTHPLACE",
        "ADDRESS", "CITY", "STATE", "COUNTY", "ZIP", "LAT", "LON", "HEALTHCARE_EXPENSES",
        "HEALTHCARE_COVERAGE",
    ),
    "encounters": (
        "Id", "START", "STOP", "PATIENT", "ORGANIZATION", "PROVIDER", "PAYER",
        "ENCOUNTERCLASS", "CODE", "DESCRIPTION", "BASE_ENCOUNTER_COST", "TOTAL_CLAIM_COST",
        "PAYER_COVERAGE", "REASONCODE", "REASONDESCRIPTION",
    ),
    "conditions": ("START", "STOP", "PATIENT", "ENCOUNTER", "CODE", "DESCRIPTION"),
    "observations": (
        "DATE", "PATIENT", "ENCOUNTER", "CODE", "DESCRIPTION", "VALUE", "UNITS", "TYPE",
    ),
}  # fmt: skip
ROWS_AT_SCALE_1 = {
    "patients": 132_000,
    "encounters": 1_260_000,
    "conditions": 483_000,
    "observations": 5_380_000,
}
DUPLICATE_SHARE = {"patients": 0.01, "encounters": 0.03, "conditions": 0.025, "observations": 0.02}
LAST_DAY = date(2020, 12, 31)
DAY_SPAN_AT_FULL = {"encounters": 2_558, "observations": 10_433}
FULL_SPAN_SCALE = 0.1  # from this scale up the day spans are the reference's
BIRTH_FIRST, BIRTH_LAST = date(1920, 1, 1), date(2019, 12, 31)
EPOCH = date(1970, 1, 1)

# (code, description, class, base cost in cents, weight, chance of a reason)
ENCOUNTER_TYPES = (
    (185345009, "Encounter for symptom", "ambulatory", 12916, 24, 0.70),
    (162673000, "General examination of patient (procedure)", "wellness", 12916, 14, 0.05),
    (410620009, "Well child visit (procedure)", "wellness", 12916, 10, 0.02),
    (185349003, "Encounter for check up (procedure)", "wellness", 12916, 9, 0.05),
    (185347001, "Encounter for problem (procedure)", "ambulatory", 8555, 9, 0.30),
    (424441002, "Prenatal initial visit (regime/therapy)", "ambulatory", 8555, 4, 0.60),
    (50849002, "Emergency room admission (procedure)", "emergency", 14616, 6, 0.25),
    (702927004, "Urgent care clinic (procedure)", "urgentcare", 14616, 6, 0.10),
    (698314001, "Consultation for treatment (procedure)", "outpatient", 8555, 5, 0.20),
    (371883000, "Outpatient procedure (procedure)", "outpatient", 8555, 5, 0.20),
    (32485007, "Hospital admission (procedure)", "inpatient", 10650, 3, 0.30),
    (390906007, "Follow-up encounter (procedure)", "ambulatory", 8555, 5, 0.15),
)
REASONS = (
    (444814009, "Viral sinusitis (disorder)", 22),
    (195662009, "Acute viral pharyngitis (disorder)", 16),
    (10509002, "Acute bronchitis (disorder)", 12),
    (36971009, "Sinusitis (disorder)", 5),
    (40055000, "Chronic sinusitis (disorder)", 4),
    (43878008, "Streptococcal sore throat (disorder)", 7),
    (65363002, "Otitis media", 8),
    (233604007, "Pneumonia", 3),
    (72892002, "Normal pregnancy", 6),
    (15777000, "Prediabetes", 5),
    (59621000, "Hypertension", 6),
    (283371005, "Laceration of forearm, left (disorder)", 2),
    (44054006, "Diabetes", 4),
)
# (code, description, weight): case variants share a code, as in hand-merged exports.
CONDITIONS = (
    (444814009, "Viral sinusitis (disorder)", 120),
    (444814009, "viral sinusitis (disorder)", 4),
    (36971009, "Sinusitis (disorder)", 25),
    (36971009, "sinusitis (disorder)", 2),
    (40055000, "Chronic sinusitis (disorder)", 20),
    (40055000, "CHRONIC SINUSITIS (DISORDER)", 2),
    (195662009, "Acute viral pharyngitis (disorder)", 100),
    (10509002, "Acute bronchitis (disorder)", 80),
    (43878008, "Streptococcal sore throat (disorder)", 40),
    (65363002, "Otitis media", 50),
    (15777000, "Prediabetes", 60),
    (59621000, "Hypertension", 60),
    (162864005, "Body mass index 30+ - obesity (finding)", 55),
    (271737000, "Anemia (disorder)", 40),
    (72892002, "Normal pregnancy", 45),
    (44465007, "Sprain of ankle", 30),
    (283371005, "Laceration of forearm, left (disorder)", 15),
    (62106007, "Concussion with no loss of consciousness", 15),
    (55822004, "Hyperlipidemia", 40),
    (82423001, "Chronic pain", 30),
    (19169002, "Miscarriage in first trimester", 15),
    (233678006, "Childhood asthma", 20),
    (239873007, "Osteoarthritis of knee", 25),
    (128613002, 'Seizure disorder "unspecified"', 8),
    (44054006, "Diabetes", 35),
)
# (code, description, units, type, low, high, weight); text rows draw from SMOKING.
OBSERVATIONS = (
    ("8302-2", "Body Height", "cm", "numeric", 450, 2000, 10),
    ("29463-7", "Body Weight", "kg", "numeric", 30, 1500, 10),
    ("39156-5", "Body Mass Index", "kg/m2", "numeric", 150, 450, 10),
    ("8480-6", "Systolic Blood Pressure", "mm[Hg]", "numeric", 900, 1800, 10),
    ("8462-4", "Diastolic Blood Pressure", "mm[Hg]", "numeric", 550, 1100, 10),
    ("8867-4", "Heart rate", "/min", "numeric", 500, 1200, 9),
    ("9279-1", "Respiratory rate", "/min", "numeric", 120, 250, 9),
    ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "{score}",
     "numeric", 0, 100, 6),
    ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", "numeric", 40, 110, 5),
    ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", "numeric", 1400, 2800,
     5),
    ("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", "numeric", 650, 2000, 5),
    ("38483-4", "Creatinine [Mass/volume] in Blood", "mg/dL", "numeric", 5, 30, 4),
    ("6298-4", "Potassium [Moles/volume] in Blood", "mmol/L", "numeric", 35, 55, 4),
    ("2947-0", "Sodium [Moles/volume] in Blood", "mmol/L", "numeric", 1340, 1460, 4),
    ("72166-2", "Tobacco smoking status NHIS", "", "text", 0, 0, 5),
)  # fmt: skip
SMOKING = ("Never smoker", "Former smoker", "Current every day smoker", "Never smoker")
FIRST_NAMES = (
    "Jacinto", "Maria", "Chang", "Lorraine", "Deandre", "Kimberly", "Mohammed", "Lucia",
    "Wilbur", "Jana", "Ezequiel", "Shu", "Rudolph", "Ingrid", "Otis", "Zora",
)  # fmt: skip
LAST_NAMES = (
    "Kris", "Hegmann", "O'Keefe", "Schuppe", "Nguyen", "Rodriguez", "Kunze", "Wolff",
    "Ortiz", "Bashirian", "Smith", "Cormier", "Rau", "Johns", "Zieme", "Labadie",
)  # fmt: skip
STREETS = ("Hegmann Station", "Kling Way", "Main Street", "Conn Run", "Abbott Lodge", "Ferry")
CITIES = (
    ("Boston", "Suffolk County"), ("Worcester", "Worcester County"),
    ("Springfield", "Hampden County"), ("Cambridge", "Middlesex County"),
    ("Lowell", "Middlesex County"), ("Quincy", "Norfolk County"),
    ("Plymouth", "Plymouth County"), ("Salem", "Essex County"),
)  # fmt: skip

_U64 = pa.uint64()
_LS = pa.large_string()
_GOLDEN = 0x9E3779B97F4A7C15
_HEX2 = pa.array([f"{i:02x}" for i in range(256)], _LS)
_HEX2_V4 = pa.array([f"4{i & 15:x}" for i in range(256)], _LS)
_HEX2_VARIANT = pa.array([f"{8 + ((i >> 4) & 3):x}{i & 15:x}" for i in range(256)], _LS)


# --- counter-based random numbers -------------------------------------------------------


def _u64(value: int) -> pa.Scalar:
    return pa.scalar(value & 0xFFFFFFFFFFFFFFFF, _U64)


def _ls(text: str) -> pa.Scalar:
    return pa.scalar(text, _LS)


def _stream_key(seed: int, *labels: object) -> int:
    digest = hashlib.sha256("|".join(map(str, (seed, *labels))).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _index(n: int) -> pa.Array:
    """0, 1, ..., n - 1 as uint64 (no Python loop)."""
    if n == 0:
        return pa.array([], _U64)
    return pc.subtract(pc.cumulative_sum(pa.repeat(_u64(1), n)), _u64(1))


def _bits(key: int, index: pa.Array) -> pa.Array:
    """splitmix64 of (key + index * golden): 64 well-mixed bits per index."""
    x = pc.add(pc.multiply(index, _u64(_GOLDEN)), _u64(key))
    x = pc.multiply(pc.bit_wise_xor(x, pc.shift_right(x, _u64(30))), _u64(0xBF58476D1CE4E5B9))
    x = pc.multiply(pc.bit_wise_xor(x, pc.shift_right(x, _u64(27))), _u64(0x94D049BB133111EB))
    return pc.bit_wise_xor(x, pc.shift_right(x, _u64(31)))


class _Rng:
    """Independent uniform streams for one table, addressed by name and row index."""

    def __init__(self, seed: int, table: str, index: pa.Array):
        self.seed, self.table, self.index = seed, table, index

    def uniform(self, stream: str) -> pa.Array:
        bits = _bits(_stream_key(self.seed, self.table, stream), self.index)
        return pc.multiply(pc.cast(pc.shift_right(bits, _u64(11)), pa.float64()), 2.0**-53)

    def integers(self, stream: str, low: int, high: int) -> pa.Array:
        """Uniform int64 in [low, high)."""
        scaled = pc.floor(pc.multiply(self.uniform(stream), float(high - low)))
        return pc.add(pc.cast(scaled, pa.int64()), low)

    def below(self, stream: str, bounds: pa.Array) -> pa.Array:
        """Uniform int64 in [0, bound) for each row's own bound."""
        scaled = pc.multiply(self.uniform(stream), pc.cast(bounds, pa.float64()))
        return pc.cast(pc.floor(scaled), pa.int64())

    def chance(self, stream: str, probability) -> pa.Array:
        return pc.less(self.uniform(stream), probability)

    def pick(self, stream: str, weights: list[int]) -> pa.Array:
        """Index into `weights` with the given integer weights (one take, no loop)."""
        lookup = pa.array([i for i, weight in enumerate(weights) for _ in range(weight)])
        slot = self.integers(stream, 0, len(lookup))
        return pc.take(lookup, slot)


# --- formatting ----------------------------------------------------------------------


def _strings(values) -> pa.Array:
    return pa.array(list(values), _LS)


def _text(values: pa.Array) -> pa.Array:
    return pc.cast(pc.cast(values, pa.string()), _LS)


def _join(*parts, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, _ls(sep))


def _blank_where(mask: pa.Array, values: pa.Array) -> pa.Array:
    return pc.if_else(mask, _ls(""), values)


def _digits(values: pa.Array, width: int) -> pa.Array:
    return pc.utf8_lpad(_text(values), width=width, padding="0")


def _fixed(scaled: pa.Array, decimals: int) -> pa.Array:
    """Fixed-point text of an int64 holding value * 10**decimals ("-71.061234", "12.50")."""
    factor = 10**decimals
    magnitude = pc.abs(scaled)
    whole = pc.divide(magnitude, factor)
    fraction = pc.subtract(magnitude, pc.multiply(whole, factor))
    text = _join(_text(whole), _digits(fraction, decimals), sep=".")
    return pc.if_else(pc.less(scaled, 0), _join(_ls("-"), text), text)


def _days_to_date_text(days: pa.Array) -> pa.Array:
    return _text(pc.cast(pc.cast(days, pa.int32()), pa.date32()))


def _seconds_to_iso(seconds: pa.Array) -> pa.Array:
    text = _text(pc.cast(pc.cast(seconds, pa.int64()), pa.timestamp("s")))
    return _join(pc.replace_substring(text, " ", "T"), _ls("Z"))


def _mixed_dates(seconds: pa.Array, iso_mask: pa.Array) -> pa.Array:
    """The calendar day as YYYY-MM-DD, or the full UTC instant as an ISO timestamp."""
    days = pc.divide(seconds, 86_400)
    return pc.if_else(iso_mask, _seconds_to_iso(seconds), _days_to_date_text(days))


def _quoted(values: pa.Array) -> pa.Array:
    """RFC 4180: quote a field that holds a comma, a quote or a line break; double quotes."""
    needs = pc.match_substring_regex(values, '[",\r\n]')
    quoted = _join(_ls('"'), pc.replace_substring(values, '"', '""'), _ls('"'))
    return pc.if_else(needs, quoted, values)


def _uuids(key: int, index: pa.Array) -> pa.Array:
    """Version-4-shaped UUID text from two hashes of each index."""
    high, low = _bits(key, index), _bits(key ^ 0x5DEECE66D, index)
    parts = []
    for word, tables in (
        (high, (_HEX2,) * 6 + (_HEX2_V4, _HEX2)),
        (low, (_HEX2_VARIANT,) + (_HEX2,) * 7),
    ):
        for byte, table in enumerate(tables):
            shifted = pc.shift_right(word, _u64(56 - 8 * byte))
            parts.append(pc.take(table, pc.bit_wise_and(shifted, _u64(255))))
    dash = _ls("-")
    h = parts
    return _join(*h[0:4], dash, *h[4:6], dash, *h[6:8], dash, *h[8:10], dash, *h[10:16])


def _to_days(day: date) -> int:
    return (day - EPOCH).days


# --- keys shared between tables ------------------------------------------------------


def row_count(table: str, scale: float) -> int:
    """Rows of `table` at `scale`, duplicates included (linear in scale, at least 1)."""
    return max(1, round(ROWS_AT_SCALE_1[table] * scale))


def duplicate_count(table: str, scale: float) -> int:
    total = row_count(table, scale)
    return min(total - 1, round(total * DUPLICATE_SHARE[table]))


def _entities(table: str, scale: float) -> int:
    return row_count(table, scale) - duplicate_count(table, scale)


def day_range(table: str, scale: float) -> tuple[date, date]:
    """First and last possible day of encounters START / observations DATE at `scale`."""
    full = DAY_SPAN_AT_FULL[table]
    span = max(1, min(full, round(full * scale / FULL_SPAN_SCALE)))
    return date.fromordinal(LAST_DAY.toordinal() - span + 1), LAST_DAY


@lru_cache(maxsize=8)
def _ids(seed: int, table: str, n: int) -> pa.Array:
    return _uuids(_stream_key(seed, table, "Id"), _index(n))


@lru_cache(maxsize=4)
def _birth_days(seed: int, n_patients: int) -> pa.Array:
    rng = _Rng(seed, "patients", _index(n_patients))
    return rng.integers("birth", _to_days(BIRTH_FIRST), _to_days(BIRTH_LAST) + 1)


@lru_cache(maxsize=4)
def _encounter_patients(seed: int, n_encounters: int, n_patients: int) -> pa.Array:
    """The patient (row index in patients) of each encounter."""
    return _Rng(seed, "encounters", _index(n_encounters)).integers("patient", 0, n_patients)


def _pool(seed: int, name: str, size: int, picks: pa.Array) -> pa.Array:
    return pc.take(_ids(seed, name, size), picks)


# --- the tables ----------------------------------------------------------------------


def _patients(seed: int, scale: float) -> dict[str, pa.Array]:
    n = _entities("patients", scale)
    rng = _Rng(seed, "patients", _index(n))
    birth = _birth_days(seed, n)
    gender = pc.take(_strings(("M", "F")), rng.integers("gender", 0, 2))
    adult = pc.less(birth, _to_days(date(2002, 1, 1)))
    return {
        "Id": _ids(seed, "patients", n),
        **_patient_dates(rng, birth),
        **_patient_documents(rng, adult),
        **_patient_names(rng, gender, adult),
        **_patient_demographics(rng, gender),
        **_patient_places(rng, n),
        "HEALTHCARE_EXPENSES": _fixed(rng.integers("expenses", 0, 200_000_000), 2),
        "HEALTHCARE_COVERAGE": _fixed(rng.integers("coverage", 0, 10_000_000), 2),
    }


def _patient_dates(rng: _Rng, birth: pa.Array) -> dict[str, pa.Array]:
    """Birth and death dates, a tenth of them ISO timestamps; most patients alive."""
    birth_seconds = pc.add(pc.multiply(birth, 86_400), rng.integers("birth_time", 0, 86_400))
    death_days = pc.add(birth, rng.below("death", pc.subtract(_to_days(LAST_DAY) + 1, birth)))
    death = _mixed_dates(pc.multiply(death_days, 86_400), rng.chance("death_iso", 0.1))
    return {
        "BIRTHDATE": _mixed_dates(birth_seconds, rng.chance("birth_iso", 0.1)),
        "DEATHDATE": _blank_where(rng.chance("alive", 0.88), death),
    }


def _patient_documents(rng: _Rng, adult: pa.Array) -> dict[str, pa.Array]:
    """SSN, driver's licence (adults only) and passport numbers, some blank."""
    return {
        "SSN": _join(
            _ls("999"),
            _digits(rng.integers("ssn_a", 10, 100), 2),
            _digits(rng.integers("ssn_b", 1000, 10000), 4),
            sep="-",
        ),
        "DRIVERS": _blank_where(
            pc.or_(pc.invert(adult), rng.chance("no_drivers", 0.1)),
            _join(_ls("S999"), _digits(rng.integers("drivers", 0, 100_000), 5)),
        ),
        "PASSPORT": _blank_where(
            rng.chance("no_passport", 0.22),
            _join(_ls("X"), _digits(rng.integers("passport", 0, 10**8), 8), _ls("X")),
        ),
    }


def _patient_names(rng: _Rng, gender: pa.Array, adult: pa.Array) -> dict[str, pa.Array]:
    """Synthea's numbered names (`Anna123`), prefixes for adults, maiden names for women."""
    first_names, last_names = _strings(FIRST_NAMES), _strings(LAST_NAMES)

    def name(stream: str, names: pa.Array) -> pa.Array:
        return _join(
            pc.take(names, rng.integers(stream, 0, len(names))),
            _text(rng.integers(stream + "_n", 100, 1000)),
        )

    prefix = pc.if_else(
        pc.equal(gender, _ls("M")),
        _ls("Mr."),
        pc.take(_strings(("Mrs.", "Ms.")), rng.integers("prefix", 0, 2)),
    )
    return {
        "PREFIX": _blank_where(pc.invert(adult), prefix),
        "FIRST": name("first", first_names),
        "LAST": _quoted(name("last", last_names)),
        "SUFFIX": _blank_where(
            rng.chance("no_suffix", 0.97),
            pc.take(_strings(("JD", "MD", "PhD")), rng.integers("suffix", 0, 3)),
        ),
        "MAIDEN": _blank_where(
            pc.or_(pc.equal(gender, _ls("M")), rng.chance("no_maiden", 0.7)),
            _quoted(name("maiden", last_names)),
        ),
    }


def _patient_demographics(rng: _Rng, gender: pa.Array) -> dict[str, pa.Array]:
    """Marital status, race, ethnicity and gender, each blank now and then."""
    marital = pc.take(_strings(("M", "S", "D", "W", "")), rng.pick("marital", [45, 30, 8, 5, 12]))
    race = pc.take(
        _strings(("white", "black", "asian", "native", "hawaiian", "other", "")),
        rng.pick("race", [70, 9, 7, 1, 1, 10, 2]),
    )
    ethnicity = pc.take(
        _strings(("nonhispanic", "hispanic", "")), rng.pick("ethnicity", [88, 10, 2])
    )
    return {
        "MARITAL": marital,
        "RACE": race,
        "ETHNICITY": ethnicity,
        "GENDER": _blank_where(rng.chance("no_gender", 0.01), gender),
    }


def _patient_places(rng: _Rng, n: int) -> dict[str, pa.Array]:
    """Birthplace and a Massachusetts address: street, city, county, ZIP, coordinates."""
    city = rng.integers("city", 0, len(CITIES))
    address = _join(
        _text(rng.integers("house", 1, 1000)),
        pc.take(_strings(STREETS), rng.integers("street", 0, len(STREETS))),
        sep=" ",
    )
    address = pc.if_else(
        rng.chance("unit", 0.15),
        _join(address, _text(rng.integers("unit_n", 1, 99)), sep=", Unit "),
        address,
    )
    return {
        "BIRTHPLACE": _join(
            pc.take(_strings(c for c, _ in CITIES), rng.integers("birthplace", 0, len(CITIES))),
            _ls("Massachusetts"),
            _ls("US"),
            sep="  ",
        ),
        "ADDRESS": _quoted(address),
        "CITY": pc.take(_strings(c for c, _ in CITIES), city),
        "STATE": pa.repeat(_ls("Massachusetts"), n),
        "COUNTY": pc.take(_strings(c for _, c in CITIES), city),
        "ZIP": _blank_where(
            rng.chance("no_zip", 0.05), _join(_ls("0"), _digits(rng.integers("zip", 1000, 2800), 4))
        ),
        "LAT": _fixed(rng.integers("lat", 41_500_000, 42_800_000), 6),
        "LON": _fixed(rng.integers("lon", -73_300_000, -70_000_000), 6),
    }


def _encounters(seed: int, scale: float) -> dict[str, pa.Array]:
    n, n_patients = _entities("encounters", scale), _entities("patients", scale)
    rng = _Rng(seed, "encounters", _index(n))
    first, last = day_range("encounters", scale)
    day = rng.integers("day", _to_days(first), _to_days(last) + 1)
    start = pc.add(pc.multiply(day, 86_400), rng.integers("time", 7 * 3600, 20 * 3600))
    kind = rng.pick("kind", [t[4] for t in ENCOUNTER_TYPES])
    inpatient = pc.equal(pc.take(_strings(t[2] for t in ENCOUNTER_TYPES), kind), _ls("inpatient"))
    duration = pc.if_else(
        inpatient, rng.integers("stay", 86_400, 5 * 86_400), rng.integers("visit", 900, 3600)
    )
    stop = pc.add(start, duration)
    n_orgs, n_providers = max(1, round(1_100 * scale)), max(1, round(5_000 * scale))
    return {
        "Id": _ids(seed, "encounters", n),
        "START": _mixed_dates(start, pc.invert(rng.chance("start_date_only", 0.1))),
        "STOP": _mixed_dates(stop, pc.invert(rng.chance("stop_date_only", 0.05))),
        "PATIENT": pc.take(
            _ids(seed, "patients", n_patients), _encounter_patients(seed, n, n_patients)
        ),
        "ORGANIZATION": _pool(
            seed, "organizations", n_orgs, rng.integers("organization", 0, n_orgs)
        ),
        "PROVIDER": _pool(seed, "providers", n_providers, rng.integers("provider", 0, n_providers)),
        "PAYER": _pool(seed, "payers", 10, rng.integers("payer", 0, 10)),
        "ENCOUNTERCLASS": pc.take(_strings(t[2] for t in ENCOUNTER_TYPES), kind),
        "CODE": pc.take(_strings(str(t[0]) for t in ENCOUNTER_TYPES), kind),
        "DESCRIPTION": pc.take(_strings(t[1] for t in ENCOUNTER_TYPES), kind),
        **_encounter_costs(rng, kind),
        **_encounter_reasons(rng, kind),
    }


def _encounter_costs(rng: _Rng, kind: pa.Array) -> dict[str, pa.Array]:
    """The type's base cost, a claim above it, and the part the payer covered."""
    base = pc.take(pa.array([t[3] for t in ENCOUNTER_TYPES], pa.int64()), kind)
    total = pc.add(base, rng.integers("claim", 0, 200_000))
    covered = rng.below("coverage", total)
    return {
        "BASE_ENCOUNTER_COST": _fixed(base, 2),
        "TOTAL_CLAIM_COST": _fixed(total, 2),
        "PAYER_COVERAGE": _fixed(covered, 2),
    }


def _encounter_reasons(rng: _Rng, kind: pa.Array) -> dict[str, pa.Array]:
    """A reason code and description, as often as the encounter type has one."""
    reason_chance = pc.take(pa.array([t[5] for t in ENCOUNTER_TYPES]), kind)
    no_reason = pc.invert(pc.less(rng.uniform("has_reason"), reason_chance))
    reason = rng.pick("reason", [r[2] for r in REASONS])
    return {
        "REASONCODE": _blank_where(
            no_reason, pc.take(_strings(str(r[0]) for r in REASONS), reason)
        ),
        "REASONDESCRIPTION": _blank_where(
            no_reason, _quoted(pc.take(_strings(r[1] for r in REASONS), reason))
        ),
    }


def _visits(seed: int, scale: float, rng: _Rng) -> tuple[pa.Array, pa.Array]:
    """An encounter per row and that encounter's patient (both row indices)."""
    n_encounters, n_patients = _entities("encounters", scale), _entities("patients", scale)
    encounter = rng.integers("encounter", 0, n_encounters)
    patient = pc.take(_encounter_patients(seed, n_encounters, n_patients), encounter)
    return encounter, patient


def _conditions(seed: int, scale: float) -> dict[str, pa.Array]:
    n, n_patients = _entities("conditions", scale), _entities("patients", scale)
    rng = _Rng(seed, "conditions", _index(n))
    encounter, patient = _visits(seed, scale, rng)
    birth = pc.take(_birth_days(seed, n_patients), patient)
    day = pc.add(birth, rng.below("onset", pc.subtract(_to_days(LAST_DAY) + 1, birth)))
    start = pc.add(pc.multiply(day, 86_400), rng.integers("time", 0, 86_400))
    stop = pc.add(start, pc.multiply(rng.integers("length", 7, 60), 86_400))
    kind = rng.pick("kind", [c[2] for c in CONDITIONS])
    return {
        "START": _mixed_dates(start, rng.chance("start_iso", 0.2)),
        "STOP": _blank_where(
            rng.chance("ongoing", 0.45), _mixed_dates(stop, rng.chance("stop_iso", 0.2))
        ),
        "PATIENT": pc.take(_ids(seed, "patients", n_patients), patient),
        "ENCOUNTER": pc.take(_ids(seed, "encounters", _entities("encounters", scale)), encounter),
        "CODE": pc.take(_strings(str(c[0]) for c in CONDITIONS), kind),
        "DESCRIPTION": _quoted(pc.take(_strings(c[1] for c in CONDITIONS), kind)),
    }


def _observations(seed: int, scale: float) -> dict[str, pa.Array]:
    n, n_patients = _entities("observations", scale), _entities("patients", scale)
    rng = _Rng(seed, "observations", _index(n))
    encounter, patient = _visits(seed, scale, rng)
    first, last = day_range("observations", scale)
    day = rng.integers("day", _to_days(first), _to_days(last) + 1)
    moment = pc.add(pc.multiply(day, 86_400), rng.integers("time", 0, 86_400))
    kind = rng.pick("kind", [o[6] for o in OBSERVATIONS])
    low = pc.take(pa.array([o[4] for o in OBSERVATIONS], pa.int64()), kind)
    high = pc.take(pa.array([o[5] for o in OBSERVATIONS], pa.int64()), kind)
    tenths = pc.add(low, rng.below("value", pc.subtract(high, low)))
    kind_type = pc.take(_strings(o[3] for o in OBSERVATIONS), kind)
    smoking = pc.take(_strings(SMOKING), rng.integers("smoking", 0, len(SMOKING)))
    return {
        "DATE": _mixed_dates(moment, pc.invert(rng.chance("date_only", 0.15))),
        "PATIENT": pc.take(_ids(seed, "patients", n_patients), patient),
        "ENCOUNTER": pc.take(_ids(seed, "encounters", _entities("encounters", scale)), encounter),
        "CODE": pc.take(_strings(o[0] for o in OBSERVATIONS), kind),
        "DESCRIPTION": pc.take(_strings(o[1] for o in OBSERVATIONS), kind),
        "VALUE": pc.if_else(pc.equal(kind_type, _ls("text")), smoking, _fixed(tenths, 1)),
        "UNITS": pc.take(_strings(o[2] for o in OBSERVATIONS), kind),
        "TYPE": kind_type,
    }


_BUILDERS = {
    "patients": _patients,
    "encounters": _encounters,
    "conditions": _conditions,
    "observations": _observations,
}


def _csv_bytes(table: str, columns: dict[str, pa.Array], seed: int, scale: float) -> bytes:
    """Add the duplicate rows, shuffle, and render header + rows (fields already quoted)."""
    rows = _join(*(columns[name] for name in COLUMNS[table]), sep=",")
    columns.clear()  # scale 1 observations: release the columns before the next copies
    unique = len(rows)
    extra = duplicate_count(table, scale)
    if extra:
        copies = _Rng(seed, table, _index(extra)).integers("duplicate_of", 0, unique)
        rows = pa.concat_arrays([rows, pc.take(rows, copies)])
    shuffle_keys = _bits(_stream_key(seed, table, "order"), _index(len(rows)))
    rows = pc.take(rows, pc.sort_indices(shuffle_keys))
    header = pa.array([",".join(COLUMNS[table])], _LS)
    lines = _join(pa.concat_arrays([header, rows]), _ls(""), sep="\n")
    offsets = pa.Array.from_buffers(
        pa.int64(), len(lines) + 1, [None, lines.buffers()[1]], offset=lines.offset
    )
    return lines.buffers()[2][offsets[0].as_py() : offsets[-1].as_py()].to_pybytes()


def generate_table(table: str, scale: float = DEFAULT_SCALE, seed: int = 1) -> bytes:
    """One table's CSV (header + rows); same arguments, same bytes."""
    return _csv_bytes(table, _BUILDERS[table](seed, scale), seed, scale)


def generate(scale: float = DEFAULT_SCALE, seed: int = 1) -> dict[str, bytes]:
    """All four tables as {table_name: csv_bytes}; same seed and scale, same bytes."""
    return {table: generate_table(table, scale, seed) for table in TABLES}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="folder for <table>.csv")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for table in TABLES:
        table_started = time.perf_counter()
        data = generate_table(table, args.scale, args.seed)
        (args.out / f"{table}.csv").write_bytes(data)
        print(
            f"{table:<13}{row_count(table, args.scale):>11,} rows "
            f"({duplicate_count(table, args.scale):,} duplicates) "
            f"{len(data) / 1e6:>9.1f} MB {time.perf_counter() - table_started:>7.2f} s"
        )
    print(f"total {time.perf_counter() - started:.2f} s -> {args.out}")


if __name__ == "__main__":
    main()
