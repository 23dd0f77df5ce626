"""MWAA confirms every deploy: its parse, read through InvokeRestApi, decides green."""

from __future__ import annotations

import pytest

from deploy import mwaa_confirm, runner
from deploy.errors import DeployError
from tests.deploy.airflow_standin import StandInAirflow
from tests.deploy.conftest import passed, write_tree

SHIPPED = {"redshift_demo__create_tables", "redshift_demo__initial_load", "data_lake__raw"}


@pytest.fixture
def airflow(world):
    standin = StandInAirflow(world.raw_s3, world.bucket, lag=1)
    standin.attach(world.clients.mwaa)
    return standin


def deploy(world, repo, **overrides):
    settings = world.settings(repo, **{"confirm_timeout": 5, **overrides})
    return runner.run_deploy(settings, world.clients, print, passed, sleep=lambda _s: None)


def test_a_deploy_waits_until_mwaa_has_parsed_every_dag(world, repo, airflow, capsys):
    deploy(world, repo)
    out = capsys.readouterr().out
    assert "MWAA parsed all 3 DAG(s), no import errors" in out
    # the first poll came before MWAA's sync (lag 1): the deploy asked again
    assert airflow.calls.count(("GET", "/dags")) >= 2


def test_a_dag_that_fails_to_import_on_mwaa_fails_the_deploy(world, repo, airflow):
    write_tree(repo, {"dags/data_lake__raw.py": "raise ImportError('no module x')\n"})
    with pytest.raises(DeployError) as err:
        deploy(world, repo)
    message = str(err.value)
    assert f"MWAA environment {world.environment} cannot import 1 DAG file(s)" in message
    assert "data_lake__raw.py: ImportError: no module x" in message


def test_a_dag_missing_from_mwaa_fails_the_deploy_naming_it(world, repo, airflow, monkeypatch):
    real = mwaa_confirm.mwaa_rest.dags

    def without_one(mwaa, environment):
        listed = real(mwaa, environment)
        listed.pop("data_lake__raw", None)
        return listed

    monkeypatch.setattr(mwaa_confirm.mwaa_rest, "dags", without_one)
    with pytest.raises(DeployError, match="data_lake__raw not in /dags"):
        deploy(world, repo, poll_interval=0, confirm_timeout=0.01)


def test_the_shipped_dags_are_the_top_level_files_named_domain__name():
    keys = [
        "dags/data_lake__raw.py",
        "dags/lakehouse/conventions.py",
        "dags/_helpers__x.py",
        "dags/readme.py",
        "dags/sql/tickit/x.sql",
    ]
    assert mwaa_confirm.shipped_dag_ids(keys) == {"data_lake__raw"}


GOOD_DAG = """\
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(dag_id="{dag_id}", schedule=None):
    EmptyOperator(task_id="nothing")
"""


def test_against_the_emulated_mwaa_an_import_error_fails_the_deploy(world, repo, endpoints):
    """The fake MWAA's InvokeRestApi answered by local Airflow over the deployed folder."""
    files = {f"dags/{d}.py": GOOD_DAG.format(dag_id=d) for d in SHIPPED}
    write_tree(repo, files)
    endpoints["fake"].serve_dags(world.environment, repo / "dags")
    deploy(world, repo)  # every DAG parses: green

    broken = "import no_such_module_on_mwaa\n" + GOOD_DAG.format(dag_id="data_lake__raw")
    write_tree(repo, {"dags/data_lake__raw.py": broken})
    with pytest.raises(DeployError) as err:
        deploy(world, repo)
    assert "cannot import 1 DAG file(s): data_lake__raw.py: ModuleNotFoundError" in str(err.value)
