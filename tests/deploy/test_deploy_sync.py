"""End-to-end deploy behaviour against moto S3 (server mode) and the fake MWAA."""

from __future__ import annotations

import json
import time

import pytest

from deploy import runner
from deploy.errors import DeployError
from deploy.sources import MANIFEST_KEY
from tests.deploy.conftest import DAG_SIDE_KEYS, fresh_copy, passed

ARTIFACTS = {"plugins.zip", "requirements.txt"}


def deploy(world, repo, **overrides):
    """Run a deploy with validation injected; returns the summary."""
    world.recorder.reset()
    return runner.run_deploy(world.settings(repo, **overrides), world.clients, print, passed)


def current_version(world, key):
    return world.raw_s3.head_object(Bucket=world.bucket, Key=key)["VersionId"]


def test_first_deploy_uploads_everything_and_updates_environment(world, repo):
    summary = deploy(world, repo)
    rec = world.recorder
    assert set(rec.puts) == DAG_SIDE_KEYS | ARTIFACTS | {MANIFEST_KEY}
    assert len(rec.puts) == len(set(rec.puts))
    assert rec.deletes == [] and rec.copies == []
    assert len(rec.updates) == 1
    update = rec.updates[0]
    assert update["PluginsS3Path"] == "plugins.zip"
    assert update["PluginsS3ObjectVersion"] == current_version(world, "plugins.zip")
    assert update["RequirementsS3ObjectVersion"] == current_version(world, "requirements.txt")
    assert "StartupScriptS3Path" not in update  # no startup/startup.sh in this repo
    assert summary.manifest_written
    assert world.keys() == DAG_SIDE_KEYS | ARTIFACTS | {MANIFEST_KEY}
    head = world.raw_s3.head_object(Bucket=world.bucket, Key="dags/data_lake__raw.py")
    assert len(head["Metadata"]["sha256"]) == 64


def test_immediate_redeploy_writes_nothing(world, repo):
    deploy(world, repo)
    summary = deploy(world, repo)
    assert world.recorder.writes == 0
    assert world.recorder.updates == []
    assert summary.uploaded == [] and not summary.manifest_written


def test_fresh_checkout_with_new_mtimes_writes_nothing(world, repo, tmp_path):
    deploy(world, repo)
    clone = fresh_copy(repo, tmp_path / "clone", time.time() + 3600)
    deploy(world, clone)
    assert world.recorder.writes == 0
    assert world.recorder.updates == []


def test_one_changed_file_is_one_upload(world, repo):
    deploy(world, repo)
    (repo / "sql/tickit/merge_users.sql").write_text("-- changed\n")
    deploy(world, repo)
    assert world.recorder.puts == ["dags/sql/tickit/merge_users.sql", MANIFEST_KEY]
    assert world.recorder.updates == []


def test_removed_file_is_one_delete(world, repo):
    deploy(world, repo)
    (repo / "dags/data_lake__raw.py").unlink()
    summary = deploy(world, repo)
    assert world.recorder.deletes == ["dags/data_lake__raw.py"]
    assert world.recorder.puts == [MANIFEST_KEY]
    assert summary.deleted == ["dags/data_lake__raw.py"]
    assert "dags/data_lake__raw.py" not in world.keys()


def test_plugins_change_is_one_zip_upload_and_one_update(world, repo):
    deploy(world, repo)
    (repo / "plugins/lakehouse/redshift.py").write_text(
        "def table_name(x):\n    return x.lower()\n"
    )
    deploy(world, repo)
    assert world.recorder.puts == ["plugins.zip", MANIFEST_KEY]
    assert len(world.recorder.updates) == 1
    update = world.recorder.updates[0]
    assert update["PluginsS3ObjectVersion"] == current_version(world, "plugins.zip")
    assert "RequirementsS3Path" not in update
    env = world.clients.mwaa.get_environment(Name=world.environment)["Environment"]
    assert env["PluginsS3ObjectVersion"] == update["PluginsS3ObjectVersion"]


def test_versioning_off_is_refused(world, repo, endpoints):
    world.raw_s3.put_bucket_versioning(
        Bucket=world.bucket, VersioningConfiguration={"Status": "Suspended"}
    )
    with pytest.raises(DeployError, match="put-bucket-versioning"):
        deploy(world, repo)
    assert world.recorder.writes == 0


def test_failure_mid_upload_deletes_nothing_and_rerun_converges(world, repo):
    deploy(world, repo)
    for name in ("create_tables", "merge_users", "unload_sales"):
        (repo / f"sql/tickit/{name}.sql").write_text(f"-- v2 {name}\n")
    (repo / "dags/data_lake__raw.py").unlink()
    world.recorder.reset()
    world.recorder.fail_on_put = 2  # first SQL upload succeeds, second fails
    with pytest.raises(Exception, match="injected"):
        runner.run_deploy(world.settings(repo), world.clients, print, passed)
    assert world.recorder.deletes == []
    assert "dags/data_lake__raw.py" in world.keys()
    world.recorder.fail_on_put = None
    summary = deploy(world, repo)
    assert sorted(summary.uploaded) == [
        "dags/sql/tickit/merge_users.sql",
        "dags/sql/tickit/unload_sales.sql",
    ]
    assert world.recorder.deletes == ["dags/data_lake__raw.py"]
    deploy(world, repo)
    assert world.recorder.writes == 0


def test_mass_delete_guard_and_force(world, repo):
    deploy(world, repo)
    for path in (repo / "sql").rglob("*.sql"):
        path.unlink()
    with pytest.raises(DeployError, match="--force-delete"):
        deploy(world, repo)
    assert world.recorder.writes == 0
    summary = deploy(world, repo, force_delete=True)
    assert len(summary.deleted) == 3


def test_objects_outside_managed_prefixes_are_never_touched(world, repo):
    outside = ["landing/users.csv", "dags-archive/old.py", "README.txt", "plugins/x.zip"]
    for key in outside:
        world.raw_s3.put_object(Bucket=world.bucket, Key=key, Body=b"keep")
    before = {k: current_version(world, k) for k in outside}
    deploy(world, repo)
    for path in (repo / "sql").rglob("*.sql"):
        path.unlink()
    deploy(world, repo, force_delete=True)
    assert {k: current_version(world, k) for k in outside} == before
    touched = set(world.recorder.puts) | set(world.recorder.deletes)
    assert not touched & set(outside)


def test_update_failed_is_an_error_and_dags_wait(world, repo):
    deploy(world, repo)
    world.fake.next_script[world.environment] = world.fake.UPDATE_ROLLS_BACK
    (repo / "requirements/requirements.txt").write_text("no-such-package==0\n")
    (repo / "dags/data_lake__raw.py").write_text("# needs the new package\n")
    world.recorder.reset()
    with pytest.raises(DeployError, match="FAILED.*RequirementsInstallFailed"):
        runner.run_deploy(world.settings(repo), world.clients, print, passed)
    assert world.recorder.puts == ["requirements.txt"]
    assert world.recorder.deletes == []
    # The rolled-back environment still runs the old version; a rerun retries the update.
    world.fake.next_script.pop(world.environment)
    deploy(world, repo)
    assert len(world.recorder.updates) == 1
    assert world.recorder.puts == ["dags/data_lake__raw.py", MANIFEST_KEY]


@pytest.mark.parametrize("status", ["UPDATING", "CREATING"])
def test_environment_not_available_is_refused(world, repo, status):
    world.fake.environments[world.environment]["Status"] = status
    with pytest.raises(DeployError, match="not AVAILABLE"):
        deploy(world, repo)
    assert world.recorder.writes == 0


def test_status_reports_drift(world, repo):
    deploy(world, repo)
    assert runner.run_status(world.settings(repo), world.clients, print) == []
    (repo / "dags/redshift_demo__initial_load.py").write_text("# edited locally\n")
    (repo / "dags/data_lake__new.py").write_text("# new dag\n")
    world.raw_s3.put_object(Bucket=world.bucket, Key="dags/rogue.py", Body=b"# rogue")
    world.raw_s3.put_object(
        Bucket=world.bucket, Key="dags/sql/tickit/unload_sales.sql", Body=b"-- hotfix"
    )
    drift = runner.run_status(world.settings(repo), world.clients, print)
    kinds = {d.key: d.kind for d in drift}
    assert kinds == {
        "dags/redshift_demo__initial_load.py": "changed",
        "dags/data_lake__new.py": "missing",
        "dags/rogue.py": "extra",
        "dags/sql/tickit/unload_sales.sql": "changed-out-of-band",
    }


def test_manifest_records_commit_time_and_hashes(world, repo):
    deploy(world, repo)
    body = world.raw_s3.get_object(Bucket=world.bucket, Key=MANIFEST_KEY)["Body"].read()
    document = json.loads(body)
    assert document["validation"] == "passed"
    assert document["deployed_at"].endswith("Z")
    assert "commit" in document
    assert set(document["objects"]) == DAG_SIDE_KEYS | ARTIFACTS
    assert document["objects"]["plugins.zip"]["version_id"]


def test_plan_writes_nothing(world, repo):
    deploy(world, repo)
    (repo / "dags/data_lake__raw.py").unlink()
    (repo / "plugins/lakehouse/redshift.py").write_text("# v2\n")
    world.recorder.reset()
    plan, reasons = runner.run_plan(world.settings(repo), world.clients, print)
    assert [c.key for c in plan.deletes] == ["dags/data_lake__raw.py"]
    assert [c.key for c in plan.artifact_uploads] == ["plugins.zip"]
    assert reasons == {"plugins.zip": "new content"}
    assert world.recorder.writes == 0 and world.recorder.updates == []
