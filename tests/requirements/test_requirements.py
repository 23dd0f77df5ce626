"""requirements/: MWAA's file is valid for MWAA, and the lock agrees with its inputs."""

from __future__ import annotations

import re
from pathlib import Path

REQ = Path(__file__).resolve().parents[2] / "requirements"
MAKEFILE = REQ.parent / "Makefile"


def names(path: Path) -> set[str]:
    found = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            found.add(re.split(r"[\[=<>~! ;]", line)[0].lower().replace("_", "-"))
    return found


def pins(path: Path) -> dict[str, str]:
    return {
        m.group(1).lower(): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", path.read_text(), re.M)
    }


def test_mwaa_requirements_carry_the_3_2_1_python_3_12_constraint():
    constraints = [
        line for line in (REQ / "requirements.txt").read_text().splitlines()
        if line.startswith("--constraint")
    ]  # fmt: skip
    assert constraints == [
        '--constraint "https://raw.githubusercontent.com/apache/airflow/'
        'constraints-3.2.1/constraints-3.12.txt"'
    ]


def test_everything_mwaa_installs_is_locked_for_local_and_ci():
    missing = names(REQ / "requirements.txt") - set(pins(REQ / "lock.txt"))
    assert not missing, f"add {sorted(missing)} to requirements/dev.in and run `make lock`"


def test_lock_pins_the_mwaa_airflow_and_covers_its_inputs():
    locked = pins(REQ / "lock.txt")
    assert locked["apache-airflow"] == "3.2.1"
    assert names(REQ / "dev.in") <= set(locked), "lock is stale: run `make lock`"


def test_lock_was_made_by_the_documented_command():
    date = re.search(r"^LOCK_DATE := (\S+)", MAKEFILE.read_text(), re.M).group(1)
    header = (REQ / "lock.txt").read_text().splitlines()[1]
    assert f"--exclude-newer {date}" in header and "--universal" in header


def test_bootstrap_installs_the_locked_uv():
    (bootstrap_pin,) = [line for line in (REQ / "bootstrap.txt").read_text().splitlines()
                        if line.startswith("uv==")]  # fmt: skip
    assert bootstrap_pin == f"uv=={pins(REQ / 'lock.txt')['uv']}"
