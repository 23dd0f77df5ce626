"""The house rules can fail, each with its fix, and pass a team's own choices.

One pytest run of the three house-rule modules (policy, form, offline parse) on a
temporary DAGs folder, read back from its JUnit report:
- bad DAGs fail with the file, the rule and how to comply named;
- DAGs in every style that behaves pass the policy: the house form (the scaffold's
  template), TaskFlow's `@dag` and `dag = DAG(...)`; only the house form passes the form;
- a DAG in the house form that runs at 06:00 every day from its own start date, or on a
  cron string from a stdlib date, passes every house rule: the schedule and the start
  date are the team's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from devkit.paths import REPO
from devkit.tools.new_dag import render

BREAKS_EVERY_RULE = """
import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(
    dag_id="scratch_dag",
    description="too short",
    start_date=pendulum.datetime(2999, 1, 1),
    tags=["misc"],
    default_args={"owner": "airflow", "retries": 5, "email_on_failure": True},
) as dag:
    BashOperator(task_id="noop", bash_command="echo {{ params.day }}")
"""

READS_A_VARIABLE_AT_PARSE_TIME = """
import os

import pendulum
from airflow.sdk import DAG, Variable
from lakehouse.conventions import DEFAULT_ARGS, Tag

# The Variable exists (the test session clears AIRFLOW_VAR_*), so the DAG imports and
# only the offline-parse guard can catch the read.
os.environ["AIRFLOW_VAR_LANDING_BUCKET"] = "some-bucket"
BUCKET = Variable.get("landing_bucket")

with DAG(
    dag_id="tickit__parse_time_variable",
    description="reads a Variable at the top level of the file",
    schedule="@daily",
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=pendulum.duration(hours=1),
    start_date=pendulum.datetime(2024, 1, 1),
    tags=[Tag.PROJECT],
    default_args=DEFAULT_ARGS,
) as dag:
    pass
"""


# Each policy rule, and words of the fix its failure must name.
RULES = {
    "test_one_dag_per_file_named_after_it": "set dag_id='bad_name'",
    "test_dag_id_has_allowed_domain": "e.g. tickit__refunds",
    "test_tags_from_taxonomy": "add Tag.PROJECT to tags",
    "test_description_is_meaningful": "say in one sentence what the DAG produces",
    "test_owner_is_a_team": "owned_by(Team.X)",
    "test_no_email_alerts": "use default_args=DEFAULT_ARGS",
    "test_retries_bounded": "set retries=3 or fewer",
    "test_run_policy_is_explicit": "e.g. schedule=NIGHTLY",
    "test_start_date_is_not_in_the_future": "is_paused_upon_creation=True",
    "test_failures_notify": "on_failure_callback=notify_failure",
    "test_templates_read_only_params_their_task_has": "pass params= with every key they read",
}

CLASSIC_ASSIGNMENT_STYLE = """
\"\"\"A compliant DAG in the assignment style, with no `with` block.\"\"\"
from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from lakehouse.conventions import DEFAULT_ARGS, Tag

dag = DAG(
    dag_id="tickit__good_classic",
    description="a compliant DAG written as dag = DAG(...)",
    schedule="@daily",
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    start_date=pendulum.datetime(2024, 1, 1),
    tags=[Tag.PROJECT],
    default_args=DEFAULT_ARGS,
)
EmptyOperator(task_id="noop", dag=dag)
"""


DECORATED_STYLE = """
\"\"\"A compliant DAG in TaskFlow's decorator style.\"\"\"
from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from lakehouse.conventions import DEFAULT_ARGS, Tag


@dag(
    dag_id="tickit__good_decorated",
    description="a compliant DAG written with the @dag decorator",
    schedule="@daily",
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    start_date=pendulum.datetime(2024, 1, 1),
    tags=[Tag.PROJECT],
    default_args=DEFAULT_ARGS,
)
def good_decorated():
    @task
    def noop() -> None:
        pass

    noop()


good_decorated()
"""
GOOD_DAGS = ("tickit__good_scaffold", "tickit__good_classic", "tickit__good_decorated")


def house_form(dag_id: str, **changes: str) -> str:
    """A DAG in the house form that runs every day at 06:00 UTC from its own start date.

    `changes` rewrite one argument of the DAG call (`ending=""` drops `dag.test()`).
    """
    call = {
        "schedule": "daily_at(6)",
        "start_date": 'pendulum.datetime(2026, 3, 1, tz="UTC")',
        "catchup": "CATCHUP",
        "max_active_runs": "MAX_ACTIVE_RUNS",
    }
    ending = changes.pop("ending", '\n\nif __name__ == "__main__":\n    dag.test()\n')
    call.update(changes)
    arguments = "".join(f"    {key}={value},\n" for key, value in call.items())
    return f'''"""### {dag_id}: refreshes the morning report at 06:00 UTC."""
from datetime import datetime, timedelta, timezone

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from lakehouse.conventions import CATCHUP, DEFAULT_ARGS, MAX_ACTIVE_RUNS, Tag, daily_at

with DAG(
    dag_id="{dag_id}",
    description="refreshes the morning report every day at 06:00 UTC",
    doc_md=__doc__,
{arguments}    dagrun_timeout=timedelta(hours=1),
    default_args=DEFAULT_ARGS,
    tags=[Tag.PROJECT],
) as dag:
    EmptyOperator(task_id="refresh")
{ending}'''


# Compliant in every house rule, whatever the team chose for when and from which day.
HOUSE_FORM = {
    "tickit__at_six": house_form("tickit__at_six"),
    "tickit__at_six_cron": house_form(
        "tickit__at_six_cron",
        schedule='"0 6 * * *"',
        start_date="datetime(2026, 3, 1, tzinfo=timezone.utc)",
    ),
}
# Each breaks one rule of the form: dag_id -> (source, the rule, words of the fix it names).
BREAKS_ONE_FORM_RULE = {
    "tickit__form_naive_start": (
        house_form("tickit__form_naive_start", start_date="datetime(2026, 3, 1)"),
        "test_start_date_is_written_with_a_time_zone",
        'has no time zone; give it one, e.g. pendulum.datetime(2026, 3, 1, tz="UTC")',
    ),
    "tickit__form_overlap": (
        house_form("tickit__form_overlap", max_active_runs="4"),
        "test_runs_never_overlap",
        "write max_active_runs=MAX_ACTIVE_RUNS from lakehouse.conventions",
    ),
    "tickit__form_catchup": (
        house_form("tickit__form_catchup", catchup="False"),
        "test_catchup_is_the_convention_or_an_explicit_backfill",
        "write catchup=CATCHUP from lakehouse.conventions",
    ),
    "tickit__form_no_dag_test": (
        house_form("tickit__form_no_dag_test", ending="\n"),
        "test_runs_alone_with_dag_test",
        'end the file with `if __name__ == "__main__": dag.test()`',
    ),
}
HOUSE_RULE_MODULES = ("test_dag_validation", "test_dag_style", "test_parse_offline")


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict[str, tuple[str, str]]:
    """`<module>::<test>[<dag_id>]` -> (passed/failed/error/skipped, failure message)."""
    folder = tmp_path_factory.mktemp("dags")
    sources = {
        "bad_name": BREAKS_EVERY_RULE,
        "tickit__parse_time_variable": READS_A_VARIABLE_AT_PARSE_TIME,
        "tickit__good_scaffold": render("tickit__good_scaffold")["dag.py.tmpl"],
        "tickit__good_classic": CLASSIC_ASSIGNMENT_STYLE,
        "tickit__good_decorated": DECORATED_STYLE,
        **HOUSE_FORM,
        **{dag_id: source for dag_id, (source, _, _) in BREAKS_ONE_FORM_RULE.items()},
    }
    for dag_id, source in sources.items():
        (folder / f"{dag_id}.py").write_text(source)
    report = folder.parent / "house_rules.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.update(DAGS_UNDER_TEST=str(folder))
    modules = [f"tests/dags/{module}.py" for module in HOUSE_RULE_MODULES]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         f"--junitxml={report}", *modules],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-2000:]
    return _read_junit(report)


def _read_junit(report) -> dict[str, tuple[str, str]]:
    found = {}
    for case in ET.parse(report).iter("testcase"):
        module = case.get("classname").rsplit(".", 1)[-1]
        outcome = next(iter(case), None)
        verdict = "passed" if outcome is None else outcome.tag.replace("failure", "failed")
        found[f"{module}::{case.get('name')}"] = (verdict, getattr(outcome, "attrib", {}))
    return {test: (verdict, attrib.get("message", "")) for test, (verdict, attrib) in found.items()}


def _of(verdicts, dag_id: str, verdict: str) -> dict[str, str]:
    return {
        test: message
        for test, (outcome, message) in verdicts.items()
        if test.endswith(f"[{dag_id}]") and outcome == verdict
    }


def test_a_dag_breaking_every_policy_rule_fails_each_naming_the_fix(verdicts):
    failed = _of(verdicts, "bad_name", "failed")
    for rule, fix in RULES.items():
        message = failed.get(f"test_dag_validation::{rule}[bad_name]")
        assert message is not None, f"{rule} did not fail: {sorted(failed)}"
        assert fix in message, f"{rule}: the failure does not say how to comply: {message}"


def test_a_variable_read_at_parse_time_fails_the_offline_parse_only(verdicts):
    failed = _of(verdicts, "tickit__parse_time_variable", "failed")
    policy = [test for test in failed if not test.startswith("test_dag_style")]  # not house form
    assert policy == ["test_parse_offline::test_parses_offline[tickit__parse_time_variable]"]
    assert "calls Variable.get at parse time: resolve it in a task" in failed[policy[0]]


@pytest.mark.parametrize("dag_id", GOOD_DAGS)
def test_every_style_that_behaves_passes_the_policy(verdicts, dag_id):
    passed = _of(verdicts, dag_id, "passed")
    policy = [t for t in passed if t.startswith(("test_dag_validation", "test_parse_"))]
    assert len(policy) == len(RULES) + 1, (dag_id, sorted(_of(verdicts, dag_id, "failed")))


@pytest.mark.parametrize("dag_id", ["tickit__good_classic", "tickit__good_decorated"])
def test_other_styles_fail_the_form_naming_the_with_dag_block(verdicts, dag_id):
    failed = _of(verdicts, dag_id, "failed")
    assert all(test.startswith("test_dag_style::") for test in failed), failed
    message = failed[f"test_dag_style::test_one_with_dag_block_and_no_dag_decorator[{dag_id}]"]
    assert "write the DAG as exactly one, at module level" in message, message


@pytest.mark.parametrize("dag_id", [*HOUSE_FORM, "tickit__good_scaffold"])
def test_the_house_form_passes_every_house_rule_whatever_its_schedule_and_start(verdicts, dag_id):
    assert not _of(verdicts, dag_id, "failed"), _of(verdicts, dag_id, "failed")
    modules = {test.split("::")[0] for test in _of(verdicts, dag_id, "passed")}
    assert modules == set(HOUSE_RULE_MODULES), modules


@pytest.mark.parametrize("dag_id", list(BREAKS_ONE_FORM_RULE))
def test_each_form_rule_fails_alone_naming_the_fix(verdicts, dag_id):
    _, rule, fix = BREAKS_ONE_FORM_RULE[dag_id]
    failed = _of(verdicts, dag_id, "failed")
    assert list(failed) == [f"test_dag_style::{rule}[{dag_id}]"], sorted(failed)
    message = failed[f"test_dag_style::{rule}[{dag_id}]"]
    assert f"{dag_id}.py" in message and fix in message, message


def test_no_rule_crashes_instead_of_naming_what_is_wrong(verdicts):
    crashed = {t: m for t, (v, m) in verdicts.items() if v == "error" or "AttributeError" in m}
    assert not crashed, crashed
    assert not [t for t, (v, _) in verdicts.items() if v == "skipped"]
