"""A fifth pipeline family touches only its own files (docs/devkit.md, "A new family").

In a temporary copy of the repository (its tracked files, committed as `main`), a toy
family adds its DAG, its SQL, its registration and its test, nothing else (it needs no
new AWS resource, so not the template either). Then the copy's gate selects the toy's
tests for a change to its files, and the run command's steps discover its registration
(the registry of devkit/domains/), find every setting its DAG reads and run the DAG on
the emulation, its landed sample data in and its Variable's value out.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date

import pytest

from devkit.airflow.dagrun import stored_dags
from devkit.paths import REPO

pytestmark = pytest.mark.integration

DAG_ID = "toy__hello"
DAY = date(2008, 1, 2)

REGISTRATION = "devkit/domains/toy.py"
TOY_FILES = {
    REGISTRATION: '''"""Toy: a greeting a night, copied to the lake."""

from __future__ import annotations

from devkit.domains import LocalDomain

GATE_PATHS = ("dags/toy__*", "sql/toy/**", REGISTRATION)
GATE_TESTS = ("tests/dags/test_toy__*.py",)


class Toy(LocalDomain):
    name = "toy"

    def variables(self, env) -> dict[str, str]:
        return {"toy_greeting": f"from {env.names.project}"}

    def land(self, env, days) -> int:
        for day in days:
            key = f"toy/ds={day.isoformat()}/greeting.txt"
            env.aws.put_object(env.names.landing_bucket, key, b"hello")
        return len(days)


DOMAIN = Toy()
'''.replace(
        "REGISTRATION", repr(REGISTRATION)
    ),
    "dags/toy__hello.py": '''"""
### toy: Hello

The night's greeting from the landing bucket, signed with the `toy_greeting` Variable,
written to the lake's bronze zone.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.sdk import DAG, task

from lakehouse.conventions import (
    CATCHUP,
    DEFAULT_ARGS,
    MAX_ACTIVE_RUNS,
    NIGHTLY,
    START_DATE,
    Conn,
    Tag,
    Var,
    var,
)

with DAG(
    dag_id="toy__hello",
    description="Hello (toy): the night's greeting, signed, in bronze",
    doc_md=__doc__,
    schedule=NIGHTLY,
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=MAX_ACTIVE_RUNS,
    dagrun_timeout=timedelta(hours=1),
    default_args=DEFAULT_ARGS,
    tags=[Tag.PROJECT, Tag.NIGHTLY],
) as dag:

    @task
    def sign(landing: str, lake: str, greeting: str, data_interval_start=None) -> str:
        ds = data_interval_start.to_date_string()
        hook = S3Hook(aws_conn_id=Conn.AWS)
        text = hook.read_key(f"toy/ds={ds}/greeting.txt", landing)
        key = f"bronze/toy/hello/load_date={ds}/greeting.txt"
        hook.load_string(f"{text} {greeting}", key, lake, replace=True)
        return key

    sign(var(Var.LANDING_BUCKET), var(Var.LAKE_BUCKET), "{{ var.value.toy_greeting }}")


if __name__ == "__main__":
    dag.test()
''',
    "sql/toy/greetings.sql": "SELECT 'hello' AS greeting\n",
    "tests/dags/test_toy__hello.py": '''"""toy__hello on the emulation."""

from datetime import date

import pytest

pytestmark = pytest.mark.integration


def test_a_night_signs_its_greeting(new_pipeline):
    pipeline = new_pipeline("toy__hello")
    pipeline.land(date(2008, 1, 2))
    assert pipeline.run("toy__hello", date(2008, 1, 2)).state == "success"
''',
}


def git(repo, *args: str) -> str:
    identity = ["-c", "user.name=toy", "-c", "user.email=toy@example.invalid"]
    return subprocess.run(
        ["git", *identity, *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def toy_repo(tmp_path_factory):
    """The repository's tracked files committed as `main` in a new folder, then the toy
    family's files added (not committed: the change the gate is asked about)."""
    copy = tmp_path_factory.mktemp("toy") / "repo"
    for name in git(REPO, "ls-files", "-z").split("\0"):
        if name and (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    git(copy, "init", "-q", "-b", "main")
    git(copy, "add", "-A")
    git(copy, "commit", "-qm", "the repository")
    for name, text in TOY_FILES.items():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_text(text)
    return copy


def gate(repo, *args: str) -> list[str]:
    """The copy's own gate (its devkit/, run from it): the test modules it runs, or
    ["tests", "--ignore=<module>", ...] (the whole suite but those)."""
    plan = subprocess.run(
        [sys.executable, "-m", "devkit.tools.gate_domains", *args, "--shell"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script = plan + '\nprintf "%s\\n" "${pytest_args[@]}"'
    printed = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return printed.stdout.splitlines()


def test_the_toy_touches_only_its_own_files(toy_repo):
    changed = git(toy_repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(line[3:] for line in changed) == sorted(TOY_FILES)


def test_the_gate_runs_the_toys_tests_for_a_change_to_its_files(toy_repo):
    toy_test = "tests/dags/test_toy__hello.py"
    tickit = "tests/dags/test_tickit__redshift_load.py"
    sql = gate(toy_repo, "--paths", "sql/toy/greetings.sql")
    assert toy_test in sql and tickit not in sql  # the toy's tests and the SQL readers
    for path in ("dags/toy__hello.py", REGISTRATION):  # the core and the toy's tests
        selected = gate(toy_repo, "--paths", path)
        assert selected[0] == "tests" and f"--ignore={toy_test}" not in selected, path
        assert f"--ignore={tickit}" in selected, path
    changed = gate(toy_repo, "--changed", "--base", "main")
    assert changed[0] == "tests" and f"--ignore={toy_test}" not in changed
    assert f"--ignore={tickit}" in changed
    matrix = subprocess.run(
        [sys.executable, "-m", "devkit.tools.gate_domains", "--matrix"],
        cwd=toy_repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '"toy"' in matrix  # CI's per-family job


def test_dag_validation_and_make_dag_accept_the_toys_prefix(toy_repo):
    from devkit.domains.families import names

    assert "toy" in names(toy_repo / "devkit" / "domains")
    assert "toy" not in names()  # this checkout is untouched


def test_the_run_command_finds_the_toy_and_runs_its_night(toy_repo, new_pipeline, monkeypatch):
    import devkit.domains as registry
    import lakehouse.conventions  # noqa: F401  (this checkout's, not the copy's)
    from deploy.dags.catalog import describe, select
    from devkit.run.console import Console
    from devkit.run.pipelines import settings_provided

    registry.registered()  # the checkout's registrations stay the ones imported
    monkeypatch.setattr(registry, "__path__", [str(toy_repo / "devkit" / "domains")])
    registry.registered.cache_clear()
    try:
        dag = parsed_and_stored(toy_repo / "dags")
        catalog = {DAG_ID: describe(dag)}
        assert select(catalog, [DAG_ID]).timed == [DAG_ID]
        assert [d.name for d in registry.for_dags([DAG_ID])] == ["house", "toy"]
        pipeline = new_pipeline(DAG_ID)  # with the registrations of the DAG's domain
        assert "toy" in [d.name for d in pipeline.domains]
        assert settings_provided(Console(), catalog, [DAG_ID], pipeline)
        assert pipeline.land(DAY) == 1
        result = pipeline.run_parsed(dag, DAG_ID, DAY)
    finally:
        registry.registered.cache_clear()
        sys.modules.pop("devkit.domains.toy", None)
        if str(toy_repo / "dags") in sys.path:  # put there by the DAG bag
            sys.path.remove(str(toy_repo / "dags"))

    assert result.state == "success", [(t.task_id, t.state, t.log) for t in result.failed]
    key = f"bronze/toy/hello/load_date={DAY}/greeting.txt"
    body = pipeline.aws.s3_client().get_object(Bucket=pipeline.names.lake_bucket, Key=key)
    assert body["Body"].read().decode() == f"hello from {pipeline.names.project}"


def parsed_and_stored(dags_dir):
    """The toy's DAG parsed and stored as the DAG processor would (dag.test() looks it up
    by bundle; the configured DAGs folder is this checkout's dags/)."""
    return stored_dags(dags_dir, dags_dir / f"{DAG_ID}.py")[DAG_ID]
