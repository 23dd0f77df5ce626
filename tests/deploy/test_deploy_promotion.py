"""Promotion: production gets what staging deployed, byte for byte, and nothing else.

Two worlds on the shared moto server stand for the two environments' buckets and MWAA
environments; each world's client signs as that environment's DeployRole, and its
calls are checked against DeployRole's policy resolved to that world's names.
"""

from __future__ import annotations

import pytest

from deploy import promotion, runner, shipment
from deploy.errors import DeployError
from deploy.sources import MANIFEST_KEY
from devkit.iam import recorder as iam_recorder
from devkit.iam.check import check
from tests.deploy.conftest import (
    deploy_role_check,
    deploy_role_policies,
    make_world,
    passed,
    write_tree,
)

COMMIT = "a" * 40
OTHER_COMMIT = "b" * 40


def deploy(world, repo, **overrides):
    return runner.run_deploy(world.settings(repo, **overrides), world.clients, print, passed)


def bucket_bytes(world) -> dict[str, bytes]:
    """Every current object of the world's bucket, the manifest aside."""
    return {
        key: world.raw_s3.get_object(Bucket=world.bucket, Key=key)["Body"].read()
        for key in world.keys()
        if key != MANIFEST_KEY
    }


def deployed_and_exported(endpoints, repo, folder, env: str):
    """A world where `env` deployed `repo`, its export in `folder`; its calls checked
    against its DeployRole before any other world makes calls."""
    world = make_world(endpoints)
    deploy(world, repo, env=env)
    promotion.export(world.clients.s3, world.bucket, env, folder, print)
    deploy_role_check(world).raise_for_problems()
    return world, folder


@pytest.fixture
def staging_deployed(endpoints, repo, tmp_path, monkeypatch):
    """Staging deployed `repo` at COMMIT, and its export in a folder."""
    monkeypatch.setenv("GITHUB_SHA", COMMIT)  # the fake repository is no git checkout
    return deployed_and_exported(endpoints, repo, tmp_path / "export", "staging")


@pytest.fixture
def production(endpoints):
    production = make_world(endpoints)
    yield production
    deploy_role_check(production).raise_for_problems()


def promote(production, repo, exported):
    return deploy(production, repo, env="production", promote_from="staging", bundle=exported)


def test_production_gets_stagings_objects_byte_for_byte_without_a_rebuild(
    staging_deployed, production, repo, monkeypatch
):
    staging, exported = staging_deployed
    # The tree now differs from what staging deployed; a rebuild would show it.
    write_tree(repo, {"dags/data_lake__raw.py": "# changed after staging deployed\n"})
    monkeypatch.setattr(runner, "collect_local", _no_rebuild)
    monkeypatch.setattr(shipment, "plugins_object", _no_rebuild)

    summary = promote(production, repo, exported)

    assert bucket_bytes(production) == bucket_bytes(staging)
    assert "plugins.zip" in bucket_bytes(production)
    assert summary.environment_update  # plugins and requirements: the new versions
    ours = runner.s3sync.read_manifest(production.raw_s3, production.bucket)
    theirs = runner.s3sync.read_manifest(staging.raw_s3, staging.bucket)
    assert ours["commit"] == theirs["commit"] == COMMIT
    assert (ours["env"], ours["promoted_from"], theirs["env"]) == (
        "production",
        "staging",
        "staging",
    )
    hashes = {k: v["sha256"] for k, v in ours["objects"].items()}
    assert hashes == {k: v["sha256"] for k, v in theirs["objects"].items()}


def _no_rebuild(*_args, **_kwargs):
    raise AssertionError("a promotion must not collect or build from the tree")


def test_production_refuses_a_commit_staging_has_not_deployed(
    staging_deployed, production, repo, monkeypatch
):
    _, exported = staging_deployed
    monkeypatch.setenv("GITHUB_SHA", OTHER_COMMIT)  # the commit production's job checked out
    with pytest.raises(DeployError, match=f"staging deployed commit {COMMIT}, not {OTHER_COMMIT}"):
        promote(production, repo, exported)
    assert production.recorder.writes == 0 and not production.recorder.updates


def test_production_refuses_to_deploy_without_stagings_export(production, repo):
    with pytest.raises(DeployError, match="promoted from staging: it deploys only what staging"):
        deploy(production, repo, env="production", promote_from="staging")
    assert production.recorder.writes == 0


def test_production_refuses_an_export_changed_after_staging_deployed(
    staging_deployed, production, repo
):
    _, exported = staging_deployed
    (exported / "objects" / "plugins.zip").write_bytes(b"rebuilt elsewhere")
    with pytest.raises(DeployError, match="plugins.zip is missing or differs"):
        promote(production, repo, exported)
    assert production.recorder.writes == 0


def test_stagings_deploy_role_is_denied_what_productions_deploy_did(
    staging_deployed, production, repo
):
    staging, exported = staging_deployed
    promote(production, repo, exported)
    accesses = [
        a for a in iam_recorder.LOG.since(production.access_mark) if a.principal == "DeployRole"
    ]
    assert check(accesses, deploy_role_policies(production)).ok
    denied = check(accesses, deploy_role_policies(staging)).problems()
    assert any(f"s3:PutObject on arn:aws:s3:::{production.bucket}/plugins.zip" in d for d in denied)
    assert any("airflow:UpdateEnvironment" in d and production.environment in d for d in denied)


def test_production_refuses_an_export_of_another_environment(endpoints, repo, tmp_path):
    _, exported = deployed_and_exported(endpoints, repo, tmp_path / "sandbox", "sandbox")
    production = make_world(endpoints)
    with pytest.raises(DeployError, match="promoted from 'staging' only"):
        promote(production, repo, exported)


def test_export_refuses_a_bucket_changed_outside_deploy(world, repo, tmp_path):
    deploy(world, repo, env="staging")
    world.raw_s3.put_object(Bucket=world.bucket, Key="dags/data_lake__raw.py", Body=b"# edited")
    with pytest.raises(DeployError, match="differs from staging's manifest"):
        promotion.export(world.clients.s3, world.bucket, "staging", tmp_path / "x", print)


def test_plan_from_an_export_shows_the_promotion_without_a_rebuild(
    staging_deployed, production, repo, monkeypatch
):
    _, exported = staging_deployed
    monkeypatch.setattr(runner, "collect_local", _no_rebuild)
    settings = production.settings(repo, env="production", promote_from="staging", bundle=exported)
    plan, _ = runner.run_plan(settings, production.clients, print)
    uploads = plan.prerequisite_uploads + plan.artifact_uploads + plan.uploads
    assert {c.key for c in uploads} == set(bucket_bytes(staging_deployed[0]))
    assert production.recorder.writes == 0
