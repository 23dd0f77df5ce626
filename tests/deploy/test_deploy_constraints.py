"""MWAA's constraints ship with the DAGs and reach the bucket before the requirements update.

requirements.txt names /usr/local/airflow/dags/constraints/...: a private-network
environment cannot fetch the upstream URL, and MWAA installs the new
requirements during UpdateEnvironment, so the file must already be in dags/.
"""

from __future__ import annotations

import pytest

from deploy import references, runner, shipment
from deploy.errors import DeployError
from deploy.sources import SOURCES, Source, collect_dag_side
from devkit.paths import DAGS_DIR, REPO
from tests.deploy.conftest import CONSTRAINTS_KEY, REPO_FILES, passed, write_tree

REAL_CONSTRAINTS = REPO / "requirements" / "mwaa" / "constraints-3.2.1-python3.12.txt"


def deploy(world, repo, **overrides):
    world.recorder.reset()
    return runner.run_deploy(world.settings(repo, **overrides), world.clients, print, passed)


def test_the_real_requirements_name_a_constraints_file_the_deploy_writes():
    requirements = (REPO / "requirements" / "requirements.txt").read_text()
    keys = references.dag_side_keys(requirements)
    assert keys == ["dags/constraints/constraints-3.2.1-python3.12.txt"]
    local = shipment.collect_local(REPO)
    assert shipment.prerequisite_keys(local) == keys
    assert local[keys[0]].read() == REAL_CONSTRAINTS.read_bytes()


def test_every_folder_shipped_beside_the_dags_is_in_airflowignore():
    ignored = set((DAGS_DIR / ".airflowignore").read_text().splitlines())
    beside = {s.prefix.removeprefix("dags/").split("/")[0] + "/" for s in SOURCES}
    beside.discard("/")  # the DAGs folder itself
    assert "constraints/" in beside
    assert beside <= ignored, f"add {sorted(beside - ignored)} to dags/.airflowignore"


def test_constraints_reach_the_bucket_before_update_environment(world, repo):
    in_bucket_at_update: list[bytes] = []

    def look_in_bucket(**_):
        body = world.raw_s3.get_object(Bucket=world.bucket, Key=CONSTRAINTS_KEY)["Body"]
        in_bucket_at_update.append(body.read())

    world.clients.mwaa.meta.events.register(
        "before-parameter-build.mwaa.UpdateEnvironment", look_in_bucket
    )
    deploy(world, repo)
    calls = world.recorder.calls
    assert calls[:3] == [
        f"PutObject {CONSTRAINTS_KEY}",
        "PutObject plugins.zip",
        "PutObject requirements.txt",
    ]
    assert calls[3] == "UpdateEnvironment"
    assert in_bucket_at_update == [
        REPO_FILES["requirements/mwaa/constraints-3.2.1-python3.12.txt"].encode()
    ]


def test_new_constraints_version_is_uploaded_first_and_the_old_deleted_last(
    world, repo, monkeypatch
):
    """Moving to another Airflow: the new file is in dags/ before MWAA installs, the old
    one stays until the update succeeded (a rolled-back environment still reads it)."""
    deploy(world, repo)
    new_name = "constraints-3.2.2-python3.12.txt"
    new_key = f"dags/constraints/{new_name}"
    (repo / "requirements/mwaa/constraints-3.2.1-python3.12.txt").unlink()
    write_tree(repo, {f"requirements/mwaa/{new_name}": "apache-airflow==3.2.2\n"})
    (repo / "requirements/requirements.txt").write_text(
        f'--constraint "/usr/local/airflow/dags/constraints/{new_name}"\n'
    )
    sources = SOURCES[:-1] + (Source(f"requirements/mwaa/{new_name}", "dags/constraints/"),)
    monkeypatch.setattr(shipment, "collect_dag_side", lambda r: collect_dag_side(r, sources))
    deploy(world, repo)
    calls = world.recorder.calls
    assert calls.index(f"PutObject {new_key}") < calls.index("UpdateEnvironment")
    assert world.recorder.deletes == [CONSTRAINTS_KEY]
    assert new_key in world.keys() and CONSTRAINTS_KEY not in world.keys()


def test_a_named_file_the_deploy_never_writes_is_refused_before_any_write(world, repo):
    (repo / "requirements/requirements.txt").write_text(
        "-c /usr/local/airflow/dags/constraints/missing.txt\napache-airflow-providers-amazon\n"
    )
    with pytest.raises(DeployError, match="dags/constraints/missing.txt.*deploy/sources.py"):
        deploy(world, repo)
    assert world.recorder.writes == 0 and world.recorder.updates == []
    with pytest.raises(DeployError, match="SOURCES"):
        runner.run_plan(world.settings(repo), world.clients, print)


def test_constraints_changed_in_place_warn_that_mwaa_installs_nothing(world, repo, capsys):
    deploy(world, repo)
    write_tree(repo, {"requirements/mwaa/constraints-3.2.1-python3.12.txt": "boto3==1.0\n"})
    deploy(world, repo)
    assert world.recorder.puts[0] == CONSTRAINTS_KEY and world.recorder.updates == []
    assert f"warning: {CONSTRAINTS_KEY} changed but requirements.txt did not" in (
        capsys.readouterr().out
    )


def test_plan_lists_the_constraints_as_a_prerequisite(world, repo):
    plan, _ = runner.run_plan(world.settings(repo), world.clients, print)
    assert [c.key for c in plan.prerequisite_uploads] == [CONSTRAINTS_KEY]
    assert CONSTRAINTS_KEY not in {c.key for c in plan.uploads}


@pytest.mark.parametrize(
    "line,named",
    [
        ('--constraint "/usr/local/airflow/dags/c.txt"', ["/usr/local/airflow/dags/c.txt"]),
        ("--constraint=/usr/local/airflow/dags/c.txt", ["/usr/local/airflow/dags/c.txt"]),
        ("-c /usr/local/airflow/dags/c.txt  # pinned", ["/usr/local/airflow/dags/c.txt"]),
        ("-c/usr/local/airflow/dags/c.txt", ["/usr/local/airflow/dags/c.txt"]),
        ("-r /usr/local/airflow/dags/more.txt", ["/usr/local/airflow/dags/more.txt"]),
        ("--constraint https://example.org/c.txt", ["https://example.org/c.txt"]),
        ("# -c /usr/local/airflow/dags/c.txt", []),
        ("apache-airflow-providers-amazon[aiobotocore]", []),
    ],
)
def test_requirements_options_naming_files_are_read_as_pip_reads_them(line, named):
    assert references.named_files(line) == named


def test_only_files_under_mwaa_s_dags_folder_become_bucket_keys():
    text = (
        "--constraint https://example.org/c.txt\n"
        "--find-links /usr/local/airflow/plugins\n"
        "-c /usr/local/airflow/dags/constraints/c.txt\n"
    )
    assert references.dag_side_keys(text) == ["dags/constraints/c.txt"]
