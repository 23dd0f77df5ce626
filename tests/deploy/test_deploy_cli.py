"""The command line: env-var configuration, validation gate, exit codes, messages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from deploy.__main__ import main
from tests.deploy.conftest import CREDENTIALS, REGION, write_tree

PASSING = "def test_dags_valid():\n    assert True\n"
FAILING = "def test_dags_valid():\n    assert False, 'dag_id must contain __'\n"


@pytest.fixture
def env(world, monkeypatch):
    """Configure the CLI exactly as CI does: environment variables only."""
    values = {
        "MWAA_BUCKET": world.bucket,
        "MWAA_ENVIRONMENT": world.environment,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL_S3": world.endpoints["s3"],
        "AWS_ENDPOINT_URL_MWAA": world.endpoints["mwaa"],
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        # the fake MWAA has no REST API: MWAA's parse is confirmed in test_deploy_confirm.py
        "MWAA_DEPLOY_CONFIRM_TIMEOUT": "0",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return world


def test_help_runs():
    out = subprocess.run([sys.executable, "-m", "deploy", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "plan" in out.stdout and "MWAA_BUCKET" in out.stdout


# The fake repository has one validation file; the real default also runs test_parse_offline.
VALIDATE = ["--validate-command", "python -m pytest -q tests/dags/test_dag_validation.py"]


def test_validation_is_a_configurable_command_and_a_missing_one_is_explained(env, repo, capsys):
    fails = ["--validate-command", "python -c 'import sys; print(\"no good\"); sys.exit(3)'"]
    assert main(["deploy", "--repo", str(repo), "--poll-interval", "0", *fails]) == 1
    assert "no good" in capsys.readouterr().err
    missing = ["--validate-command", "no-such-validator --strict"]
    assert main(["deploy", "--repo", str(repo), "--poll-interval", "0", *missing]) == 1
    assert "cannot run the validation command 'no-such-validator --strict'" in (
        capsys.readouterr().err
    )
    assert env.keys() == set()


def test_failing_validation_refuses_to_deploy(env, repo, capsys):
    write_tree(repo, {"tests/dags/test_dag_validation.py": FAILING})
    code = main(["deploy", "--repo", str(repo), "--poll-interval", "0", *VALIDATE])
    err = capsys.readouterr().err
    assert code == 1
    assert "DAG validation failed" in err and "dag_id must contain __" in err
    assert "Traceback" not in err
    assert env.keys() == set()


def test_cli_plan_deploy_status_round_trip(env, repo, capsys):
    write_tree(repo, {"tests/dags/test_dag_validation.py": PASSING})
    assert main(["plan", "--repo", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "upload" in out and "WOULD BE UPDATED" in out
    assert env.keys() == set()
    assert main(["deploy", "--repo", str(repo), "--poll-interval", "0", *VALIDATE]) == 0
    out = capsys.readouterr().out
    assert "done: uploaded 10, deleted 0" in out and "updated" in out
    assert main(["status", "--repo", str(repo)]) == 0
    assert "in sync" in capsys.readouterr().out
    (repo / "dags/data_lake__raw.py").write_text("# edited\n")
    assert main(["status", "--repo", str(repo)]) == 3


def test_update_failed_exits_non_zero_with_message(env, repo, capsys):
    assert main(["deploy", "--repo", str(repo), "--skip-validation", "--poll-interval", "0"]) == 0
    env.fake.next_script[env.environment] = env.fake.UPDATE_FAILS
    (repo / "requirements/requirements.txt").write_text("broken==0\n")
    code = main(["deploy", "--repo", str(repo), "--skip-validation", "--poll-interval", "0"])
    err = capsys.readouterr().err
    assert code == 1 and "update FAILED" in err and "Traceback" not in err
    env.fake.next_script.pop(env.environment)


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--bucket", "no-such-bucket-xyz"], "does not exist"),
        (["--environment", "no-such-env"], "not found"),
    ],
)
def test_expected_errors_are_one_line(env, repo, capsys, args, expected):
    code = main(["deploy", "--repo", str(repo), "--skip-validation", *args])
    err = capsys.readouterr().err
    assert code == 1 and expected in err and "Traceback" not in err


def test_missing_bucket_setting(monkeypatch, capsys):
    monkeypatch.delenv("MWAA_BUCKET", raising=False)
    assert main(["plan"]) == 1
    assert "set MWAA_BUCKET" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["plan", "status", "deploy"])
def test_every_command_takes_its_defaults_from_settings(command, monkeypatch, tmp_path):
    """One place for the defaults: a flag a command lacks, or does not get, is Settings'."""
    from deploy.__main__ import parser, settings_from
    from deploy.config import Settings

    for name in (
        "MWAA_ENV",
        "MWAA_ENVIRONMENT",
        "MWAA_DEPLOY_VALIDATE_COMMAND",
        "MWAA_DEPLOY_CONFIRM_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", REGION)
    args = parser().parse_args([command, "--repo", str(tmp_path), "--bucket", "b"])
    expected = Settings(repo=tmp_path.resolve(), bucket="b", region=REGION)
    assert settings_from(args) == expected


def test_infra_and_up_take_their_defaults_from_their_dataclasses(monkeypatch, tmp_path):
    """`infra plan|apply` -> StackChange, `up` -> Options: the flags add no default of their own."""
    from deploy.__main__ import parser
    from deploy.cloudformation.cli import StackChange, change_from
    from deploy.up.cli import options_from
    from deploy.up.run import Options

    for name in ("MWAA_ENV", "MWAA_INFRA_ROLE_ARN", "MWAA_INFRA_TEMPLATE_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    repo = ["--repo", str(tmp_path), "--stack", "s"]
    assert change_from(parser().parse_args(["infra", "plan", *repo]), {}) == StackChange("s")
    apply = parser().parse_args(["infra", "apply", *repo, "--parameter", "A=1"])
    assert change_from(apply, {"A": "0", "B": "2"}) == StackChange(
        "s", parameters={"A": "1", "B": "2"}, execute=True
    )
    up = parser().parse_args(["up", *repo, "--region", REGION])
    assert options_from(up) == Options(repo=tmp_path.resolve(), stack="s", region=REGION)
