"""requirements/: MWAA's file is valid for MWAA, and the lock is MWAA's environment.

The lock is resolved with MWAA's constraints (requirements/mwaa/), so every
package both name carries MWAA's version; tools MWAA does not install are free.
"""

from __future__ import annotations

import re
from pathlib import Path

from devkit.paths import REPO

REQ = REPO / "requirements"
MAKEFILE = REQ.parent / "Makefile"
MWAA_CONSTRAINTS = [
    REQ / "mwaa" / "constraints-3.2.1-python3.12.txt",
    REQ / "mwaa" / "mwaa-essential-constraints-3.2.1.txt",
]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)(?:\s*;\s*(.*))?$", re.M)


def canonical(name: str) -> str:
    """PEP 503 name: `openlineage_sql` and `openlineage-sql` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def names(path: Path) -> set[str]:
    found = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            found.add(canonical(re.split(r"[\[=<>~! ;]", line)[0]))
    return found


def pins(path: Path) -> dict[str, str]:
    """One version per package (the last one for a package pinned per marker)."""
    return {canonical(m.group(1)): m.group(2) for m in PIN.finditer(path.read_text())}


def all_pins(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Every (version, marker) a file pins per package: a universal lock may split."""
    found: dict[str, list[tuple[str, str]]] = {}
    for m in PIN.finditer(path.read_text()):
        found.setdefault(canonical(m.group(1)), []).append((m.group(2), m.group(3) or ""))
    return found


def constraint_drift(locked: dict[str, list[tuple[str, str]]], constraints: dict[str, str]) -> list:
    """Lines `package: lock X, MWAA constraints Y` for every shared package that differs."""
    return [
        f"{name}: lock {version}{f' ; {marker}' if marker else ''}, "
        f"MWAA constraints {constraints[name]}"
        for name in sorted(set(locked) & set(constraints))
        for version, marker in locked[name]
        if version != constraints[name]
    ]


def mwaa_constraints() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in MWAA_CONSTRAINTS:
        merged.update(pins(path))
    return merged


def test_mwaa_requirements_carry_the_3_2_1_python_3_12_constraint_shipped_with_the_dags():
    """No URL: a private-network MWAA cannot fetch one on every worker start."""
    constraints = [
        line for line in (REQ / "requirements.txt").read_text().splitlines()
        if line.startswith(("--constraint", "-c"))
    ]  # fmt: skip
    assert constraints == [
        '--constraint "/usr/local/airflow/dags/constraints/constraints-3.2.1-python3.12.txt"'
    ]


def test_the_shipped_constraints_file_is_the_vendored_3_2_1_python_3_12_file():
    from deploy.shipment import collect_local, prerequisite_keys

    local = collect_local(REPO)
    (key,) = prerequisite_keys(local)
    assert local[key].read() == MWAA_CONSTRAINTS[0].read_bytes()
    assert "constraints-3.2.1/constraints-3.12.txt" in MWAA_CONSTRAINTS[0].read_text()


def test_vendored_constraints_are_the_3_2_1_files_and_agree_with_each_other():
    full, essential = (pins(path) for path in MWAA_CONSTRAINTS)
    assert "constraints-3.2.1/constraints-3.12.txt" in MWAA_CONSTRAINTS[0].read_text()
    assert essential["apache-airflow"] == "3.2.1"
    disagree = {n: (v, full[n]) for n, v in essential.items() if n in full and full[n] != v}
    assert not disagree, f"essential vs full constraints: {disagree}"


def test_every_locked_package_that_mwaa_constrains_has_mwaa_s_version():
    drift = constraint_drift(all_pins(REQ / "lock.txt"), mwaa_constraints())
    assert not drift, (
        "requirements/lock.txt differs from MWAA 3.2.1's constraints; run `make lock`:\n  "
        + "\n  ".join(drift)
    )


def test_the_drift_check_names_the_package_and_both_versions():
    locked = {"rich": [("15.0.0", "")], "pytest": [("9.0.3", "")]}
    drift = constraint_drift(locked, {"rich": "13.9.4", "boto3": "1.42.84"})
    assert drift == ["rich: lock 15.0.0, MWAA constraints 13.9.4"]


def test_everything_mwaa_installs_is_locked_for_local_and_ci():
    missing = names(REQ / "requirements.txt") - set(pins(REQ / "lock.txt"))
    assert not missing, f"add {sorted(missing)} to requirements/dev.in and run `make lock`"


def test_pins_in_mwaa_requirements_match_the_lock():
    locked = pins(REQ / "lock.txt")
    pinned = pins(REQ / "requirements.txt")
    differ = {n: (v, locked.get(n)) for n, v in pinned.items() if locked.get(n) != v}
    assert not differ, f"requirements.txt pin vs lock: {differ}"


def test_lock_pins_the_mwaa_airflow_and_covers_its_inputs():
    locked = pins(REQ / "lock.txt")
    assert locked["apache-airflow"] == "3.2.1"
    missing = names(REQ / "dev.in") - set(locked)
    assert not missing, f"lock is stale ({sorted(missing)} missing): run `make lock`"


def test_lock_was_made_by_the_documented_command():
    makefile = MAKEFILE.read_text()
    date = re.search(r"^LOCK_DATE := (\S+)", makefile, re.M).group(1)
    header = (REQ / "lock.txt").read_text().splitlines()[1]
    assert f"--exclude-newer {date}" in header and "--universal" in header
    for path in MWAA_CONSTRAINTS:
        relative = path.relative_to(REQ.parent).as_posix()
        assert f"-c {relative}" in header, f"lock not resolved with {relative}: run `make lock`"
        assert f"-c {relative}" in makefile


def test_bootstrap_installs_the_locked_uv():
    (bootstrap_pin,) = [line for line in (REQ / "bootstrap.txt").read_text().splitlines()
                        if line.startswith("uv==")]  # fmt: skip
    assert bootstrap_pin == f"uv=={pins(REQ / 'lock.txt')['uv']}"


# --- two kinds of packages: MWAA's versions, and tools that track their releases ----


def makefile_tools() -> set[str]:
    """The Makefile's TOOLS: what `make lock-tools` (and the weekly lock job) moves."""
    text = MAKEFILE.read_text().replace("\\\n", " ")
    return {canonical(n) for n in re.search(r"^TOOLS := (.*)$", text, re.M).group(1).split()}


def gate_and_test_tools() -> set[str]:
    """dev.in's gate tools (the section so headed) and the test runner."""
    text = (REQ / "dev.in").read_text().split("# Gate tools", 1)[1].split("\n", 1)[1]
    found = set()
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line:
            found.add(canonical(re.split(r"[\[=<>~! ;]", line)[0]))
    return found | {"pytest", "pytest-xdist"}


def test_the_lock_tells_mwaa_constrained_packages_from_unconstrained_tools():
    constrained = set(mwaa_constraints())
    tools = makefile_tools()
    assert not tools & constrained, f"MWAA pins these; never move them: {tools & constrained}"
    unconstrained = gate_and_test_tools() - constrained
    assert tools == unconstrained, (
        f"Makefile TOOLS must be every gate/test tool MWAA does not pin: "
        f"missing {sorted(unconstrained - tools)}, extra {sorted(tools - unconstrained)}"
    )
    assert {"black", "uv"} <= gate_and_test_tools() & constrained  # these stay at MWAA's


def test_the_weekly_lock_job_moves_only_the_tools_and_checkov():
    workflow = (REPO / ".github" / "workflows" / "lock.yml").read_text()
    assert "make lock-tools" in workflow and "schedule:" in workflow
    makefile = MAKEFILE.read_text()
    target = makefile.split("\nlock-tools:", 1)[1].split("\n\n", 1)[0]
    assert "$(addprefix --upgrade-package ,$(TOOLS))" in target
    assert "lock-checkov" in target and "--upgrade\n" not in target.split("lock-checkov")[0]


def test_checkov_has_its_own_lock_outside_mwaa_s_environment():
    checkov_lock = pins(REQ / "checkov" / "lock.txt")
    assert "checkov" in checkov_lock and "checkov" not in pins(REQ / "lock.txt")
    header = (REQ / "checkov" / "lock.txt").read_text().splitlines()[1]
    assert "requirements/checkov/checkov.in" in header and "-c " not in header
