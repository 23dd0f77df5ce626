"""Pure pieces: source mapping, plan, delete guard, error messages, environment diff."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from deploy.environment import NEW_CONTENT, OTHER_VERSION, decide_update
from deploy.errors import DeployError, explain
from deploy.plan import Change, Plan, compute, delete_guard
from deploy.s3sync import RemoteObject
from deploy.sources import LocalObject, Source, collect_dag_side, is_excluded
from tests.deploy.conftest import DAG_SIDE_KEYS, write_tree


def test_source_table_maps_sql_under_dags_and_skips_missing(repo):
    assert set(collect_dag_side(repo)) == DAG_SIDE_KEYS  # spark/ and recipes/ absent


def test_added_source_folder_is_one_table_row(repo):
    write_tree(repo, {"spark/jobs/encounters.py": "print(1)\n"})
    keys = collect_dag_side(repo, (Source("spark", "dags/spark/"),))
    assert set(keys) == {"dags/spark/jobs/encounters.py"}


def test_colliding_keys_are_refused(repo):
    write_tree(repo, {"dags/sql/tickit/merge_users.sql": "-- duplicate\n"})
    with pytest.raises(DeployError, match="both map to"):
        collect_dag_side(repo)


@pytest.mark.parametrize(
    "name,is_dir,excluded",
    [
        ("__pycache__", True, True),
        ("tests", True, True),
        (".DS_Store", False, True),
        (".sqlfluff", False, True),
        ("x.pyc", False, True),
        ("test_dag.py", False, True),
        (".airflowignore", False, False),
        ("tickit.sql", False, False),
    ],
)
def test_exclusions(name, is_dir, excluded):
    assert is_excluded(name, is_dir) is excluded


def _local(key, sha):
    return LocalObject(key, sha, body=b"")


def test_plan_compares_hashes_only():
    local = {"dags/a.py": _local("dags/a.py", "1"), "dags/b.py": _local("dags/b.py", "2")}
    remote = {
        "dags/a.py": RemoteObject("dags/a.py", '"e"', sha256="1"),
        "dags/b.py": RemoteObject("dags/b.py", '"e"', sha256="old"),
        "dags/c.py": RemoteObject("dags/c.py", '"e"'),
    }
    plan = compute(local, remote)
    assert plan.unchanged == ["dags/a.py"]
    assert plan.uploads == [Change("dags/b.py", "changed")]
    assert plan.deletes == [Change("dags/c.py", "not in repo")]


def test_delete_guard():
    many = Plan(deletes=[Change(f"dags/{i}", "x") for i in range(3)], managed_count=10)
    many.dag_side_count = 7
    assert "--force-delete" in delete_guard(many, 0.2, force=False)
    assert delete_guard(many, 0.2, force=True) is None
    assert delete_guard(many, 0.5, force=False) is None
    one = Plan(deletes=[Change("dags/x", "x")], managed_count=2, dag_side_count=1)
    assert delete_guard(one, 0.2, force=False) is None
    empty = Plan(deletes=[Change("dags/x", "x")], managed_count=1, dag_side_count=0)
    assert "wrong --repo" in delete_guard(empty, 0.2, force=False)


def test_one_rule_decides_the_environment_update():
    env = {"PluginsS3Path": "plugins.zip", "PluginsS3ObjectVersion": "v1"}
    assert decide_update(env, {"plugins.zip": "v1"}).params == {}
    assert decide_update(env, {"plugins.zip": "v2"}).params == {
        "PluginsS3Path": "plugins.zip",
        "PluginsS3ObjectVersion": "v2",
    }
    assert decide_update(env, {"requirements.txt": "r1"}).params == {
        "RequirementsS3Path": "requirements.txt",
        "RequirementsS3ObjectVersion": "r1",
    }
    assert decide_update(None, {"plugins.zip": "v2"}).params == {}


def test_the_plans_view_of_the_update_names_why():
    """A plan's upload has no version yet: an update for new content, with no version."""
    env = {"PluginsS3Path": "plugins.zip", "PluginsS3ObjectVersion": "v1"}
    env |= {"RequirementsS3Path": "requirements.txt", "RequirementsS3ObjectVersion": "r1"}
    versions = {"plugins.zip": "v1", "requirements.txt": "r0"}
    update = decide_update(env, versions, uploading={"plugins.zip"})
    assert update.reasons == {"plugins.zip": NEW_CONTENT, "requirements.txt": OTHER_VERSION}
    assert update.params == {
        "PluginsS3Path": "plugins.zip",
        "RequirementsS3Path": "requirements.txt",
        "RequirementsS3ObjectVersion": "r0",
    }


@pytest.mark.parametrize(
    "code,expected",
    [
        ("AccessDenied", "DeployRole in infra/pipelines.yaml"),
        ("SlowDown", "rerun"),
        ("NoSuchBucket", "MWAA_BUCKET"),
        ("ResourceNotFoundException", "MWAA_ENVIRONMENT"),
    ],
)
def test_error_messages_say_what_to_do(code, expected):
    exc = ClientError({"Error": {"Code": code, "Message": "m"}}, "PutObject")
    assert expected in explain(exc, "bucket", "env")


def test_the_deploy_tool_imports_nothing_from_devkit_tests_or_airflow():
    import subprocess
    import sys

    probe = (
        "import sys, deploy.__main__; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('devkit', 'tests', 'airflow')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
