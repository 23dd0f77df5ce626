"""The families as the gate sees them (devkit/domains/families.py): read from the
registrations' literals, never by importing them."""

from __future__ import annotations

import pytest

from devkit.domains.families import DeclarationError, families, names


def test_a_family_is_read_without_importing_its_registration(tmp_path):
    (tmp_path / "toy.py").write_text(
        "import no_such_module  # importing this registration would fail\n"
        'GATE_PATHS = ("dags/toy__*", "sql/toy/**")\n'
        'GATE_TESTS: tuple[str, ...] = ("tests/dags/test_toy__*.py",)\n'
    )
    (tmp_path / "house.py").write_text("DOMAIN = None  # owns no tests: no family\n")

    (toy,) = families(tmp_path)
    assert (toy.name, toy.paths, toy.tests) == (
        "toy",
        ("dags/toy__*", "sql/toy/**"),
        ("tests/dags/test_toy__*.py",),
    )
    assert toy.registration == "devkit/domains/toy.py"
    assert names(tmp_path) == ("toy",)


def test_a_declaration_that_is_not_written_out_names_the_file_and_the_form(tmp_path):
    (tmp_path / "toy.py").write_text('GATE_TESTS = tuple(["tests/dags/test_toy__*.py"])\n')
    with pytest.raises(DeclarationError, match=r"toy\.py: GATE_TESTS must be a tuple"):
        families(tmp_path)


def test_the_repositorys_families_are_its_dag_id_prefixes():
    assert names() == ("data_lake", "datahub", "tickit")
