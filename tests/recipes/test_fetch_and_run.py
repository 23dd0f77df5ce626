"""recipes/fetch_and_run.py: the DataHub container's command, run as the container runs it.

The command of `lakehouse.datahub.ingest_command` runs under `/bin/sh -c` (the task
definition's entry point) against a moto S3 holding what the deploy ships to
`dags/recipes/`; a stand-in `datahub` on PATH records where and how it was run.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import uuid

import boto3
import pytest

from deploy.sources import walk_files
from devkit.emulator.moto_server import QuickStoppingMotoServer
from devkit.paths import RECIPES_DIR
from lakehouse.datahub import (
    GLOSSARY_RECIPE,
    RECIPES_URI_ENV,
    SCRIPT,
    SOURCE_RECIPES,
    ingest_command,
)

SCRIPT_PATH = RECIPES_DIR / SCRIPT
FAKE_CLI = """#!/bin/sh
printf '%s\\n' "$PWD" "$@" > "$CLI_RECORD"
exit 3
"""
ECS_OVERRIDES_LIMIT = 8192  # characters of RunTask's overrides JSON, formatting included


@pytest.fixture(scope="module")
def s3_endpoint():
    server = QuickStoppingMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def shipped(s3_endpoint, monkeypatch):
    """A bucket holding recipes/ under dags/recipes/ (as the deploy writes it), plus neighbours."""
    for name, value in {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"mwaa-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    for relative, path in walk_files(RECIPES_DIR):
        s3.put_object(Bucket=bucket, Key=f"dags/recipes/{relative}", Body=path.read_bytes())
    s3.put_object(Bucket=bucket, Key="dags/recipes_old/glue.yml", Body=b"not ours")
    s3.put_object(Bucket=bucket, Key="dags/tickit__redshift_load.py", Body=b"a DAG")
    return f"s3://{bucket}/dags/recipes"


def _run_container_command(recipe: str, uri: str, tmp_path) -> tuple[int, list[str], str]:
    """(exit code, the stand-in CLI's cwd and arguments, output), as ECS would run it."""
    bin_dir, workdir = tmp_path / "bin", tmp_path / "work"
    bin_dir.mkdir()
    workdir.mkdir()
    (bin_dir / "datahub").write_text(FAKE_CLI)
    (bin_dir / "datahub").chmod(0o755)
    record = tmp_path / "cli.txt"
    python_dir = os.path.dirname(sys.executable)  # `python`: one with boto3, as in the image
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{python_dir}:/usr/bin:/bin",
        RECIPES_URI_ENV: uri,
        "CLI_RECORD": str(record),
    }
    proc = subprocess.run(
        ["/bin/sh", "-c", *ingest_command(recipe)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    ran = record.read_text().splitlines() if record.exists() else []
    return proc.returncode, ran, proc.stdout + proc.stderr


def test_the_command_fetches_the_recipes_and_becomes_the_cli(shipped, tmp_path):
    code, ran, output = _run_container_command(GLOSSARY_RECIPE, shipped, tmp_path)

    assert code == 3, output  # the CLI's own exit code is the container's
    recipes = tmp_path / "work" / "recipes"
    assert ran == [str(recipes), "ingest", "-c", GLOSSARY_RECIPE, "--strict-warnings"], output
    fetched = sorted(p.relative_to(recipes).as_posix() for p in recipes.rglob("*") if p.is_file())
    assert fetched == [relative for relative, _ in walk_files(RECIPES_DIR)]
    glossary = "glossary/business_glossary.yml"
    assert (recipes / glossary).read_bytes() == (RECIPES_DIR / glossary).read_bytes()


def test_a_recipe_that_was_not_shipped_fails_naming_it(shipped, tmp_path):
    code, ran, output = _run_container_command("missing.yml", shipped, tmp_path)

    assert code != 0 and not ran
    assert f"recipe missing.yml not found under {shipped}" in output


def test_an_empty_or_wrong_location_is_named(shipped, tmp_path, monkeypatch):
    script = runpy.run_path(str(SCRIPT_PATH))
    monkeypatch.chdir(tmp_path)
    empty = shipped.replace("/dags/recipes", "/dags/nothing-here")
    monkeypatch.setenv(RECIPES_URI_ENV, empty)
    with pytest.raises(SystemExit, match=f"no recipes under {empty}"):
        script["main"](["glue.yml"])
    monkeypatch.setenv(RECIPES_URI_ENV, "dags/recipes")
    with pytest.raises(SystemExit, match=f"{RECIPES_URI_ENV}='dags/recipes' is not s3://"):
        script["main"](["glue.yml"])
    monkeypatch.delenv(RECIPES_URI_ENV)
    with pytest.raises(SystemExit, match=f"{RECIPES_URI_ENV} is not set"):
        script["main"](["glue.yml"])


def test_script_and_dag_agree_and_every_command_fits_runtask():
    script = runpy.run_path(str(SCRIPT_PATH))
    assert script["RECIPES_URI_ENV"] == RECIPES_URI_ENV
    for recipe in (GLOSSARY_RECIPE, *SOURCE_RECIPES):
        assert (RECIPES_DIR / recipe).is_file(), recipe
        overrides = {"containerOverrides": [{"name": "x", "command": ingest_command(recipe)}]}
        assert len(json.dumps(overrides)) < ECS_OVERRIDES_LIMIT
