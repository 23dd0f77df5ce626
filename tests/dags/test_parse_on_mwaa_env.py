"""What ships parses on MWAA: the deployed dags/ folder, in MWAA's own environment.

`.venv-mwaa` holds only Python 3.12, Airflow 3.2.1 with MWAA's constraints and
requirements/requirements.txt (devkit/mwaa/env.py); the bucket's dags/ is laid
out by the deploy tool's mapping and parsed as Airflow 3.2's DAG processor does
(devkit/mwaa/parse.py). The first run builds the venv (a download); later runs
only parse. No Python 3.12 on the machine is a failure that says how to get one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.mwaa import env as mwaa_env
from devkit.mwaa import parse as mwaa_parse

pytestmark = pytest.mark.integration

DAG = 'from airflow.sdk import DAG\n\nwith DAG("{dag_id}", schedule=None):\n    pass\n'


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


@pytest.fixture(scope="module")
def mwaa_python():
    try:
        return mwaa_env.ensure()
    except mwaa_env.MwaaEnvError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="module")
def parsed(mwaa_python) -> mwaa_parse.ParseResult:
    return mwaa_parse.parse_deployed_dags(interpreter=mwaa_python)


def test_it_is_mwaa_s_python_and_airflow(parsed):
    assert parsed.python.startswith("3.12.")
    assert parsed.airflow == mwaa_env.airflow_version() == "3.2.1"


def test_no_dag_file_has_an_import_error(parsed):
    errors = [p for p in mwaa_parse.problems(parsed) if p.startswith("import error")]
    assert not parsed.import_errors, "\n\n".join(errors)


def test_every_dag_the_repository_defines_is_found(parsed):
    expected = mwaa_parse.expected_dag_ids()
    assert len(expected) >= 6
    assert parsed.files == expected


def test_plugins_load_as_on_every_mwaa_component(parsed):
    assert parsed.plugin_errors == {}
    assert "datahub_plugin" in parsed.plugins  # requirements.txt's acryl-datahub-airflow-plugin


def test_nothing_from_the_repository_tools_or_test_libraries_is_imported_or_installed(parsed):
    assert parsed.forbidden_imported == {}, mwaa_parse.problems(parsed)
    assert parsed.forbidden_installed == {}, mwaa_parse.problems(parsed)
    assert mwaa_parse.problems(parsed) == []


def test_dags_needing_what_mwaa_lacks_fail_with_their_file_named(mwaa_python, tmp_path):
    repo = write_tree(
        tmp_path / "repo",
        {
            "dags/good__dag.py": DAG.format(dag_id="good__dag"),
            "dags/bad__spark.py": "import pyspark  # airflow dag\n" + DAG.format(dag_id="x__y"),
            "dags/wrong__name.py": DAG.format(dag_id="other__name"),
            "dags/moto/__init__.py": "",  # shipped beside the DAGs: importable, but flagged
            "dags/uses__moto.py": "import moto\n" + DAG.format(dag_id="uses__moto"),
        },
    )
    result = mwaa_parse.parse_deployed_dags(repo, interpreter=mwaa_python, load_plugins=False)
    assert set(result.import_errors) == {"bad__spark.py"}
    assert "No module named 'pyspark'" in result.import_errors["bad__spark.py"]
    assert result.files["good__dag.py"] == ["good__dag"]
    found = mwaa_parse.problems(result, mwaa_parse.expected_dag_ids(repo))
    assert found[0].startswith("import error in dags/bad__spark.py:")
    assert "dags/wrong__name.py defines ['other__name'], expected ['wrong__name']" in found
    assert any(p.startswith("parsing imported moto (") for p in found)
    assert any(p.startswith("moto is installed in MWAA's environment") for p in found)


def test_missing_python_3_12_fails_saying_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("MWAA_PYTHON", str(tmp_path / "python3.12"))
    with pytest.raises(
        mwaa_env.MwaaEnvError, match="MWAA_PYTHON=.*does not run.*uv python install"
    ):
        mwaa_env.find_python()
    monkeypatch.delenv("MWAA_PYTHON")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    with pytest.raises(mwaa_env.MwaaEnvError, match="no working Python 3.12 found.*install"):
        mwaa_env.find_python(uv=None)


def test_the_venv_is_rebuilt_when_requirements_or_the_shipped_constraints_change(tmp_path):
    files = {
        "requirements/requirements.txt": (
            '--constraint "/usr/local/airflow/dags/constraints/constraints-3.2.1-python3.12.txt"\n'
            "apache-airflow-providers-amazon\n"
        ),
        "requirements/mwaa/constraints-3.2.1-python3.12.txt": "boto3==1.42.84\n",
        "dags/a__b.py": "# dag\n",
    }
    repo = write_tree(tmp_path / "repo", files)
    before = mwaa_env.inputs_digest(repo)
    (repo / "dags/a__b.py").write_text("# a DAG change needs no rebuild\n")
    assert mwaa_env.inputs_digest(repo) == before
    write_tree(repo, {"requirements/mwaa/constraints-3.2.1-python3.12.txt": "boto3==1.0\n"})
    after_constraints = mwaa_env.inputs_digest(repo)
    assert after_constraints != before
    write_tree(repo, {"requirements/requirements.txt": "apache-airflow-providers-amazon\n"})
    assert mwaa_env.inputs_digest(repo) not in (before, after_constraints)
