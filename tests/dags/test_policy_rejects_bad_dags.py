"""The policy tests can fail, and pass every valid style: run them on a folder of DAGs.

Bad DAGs must fail with the file and the rule named; compliant DAGs must pass every
test, with no internal error along the way, whatever their style: the house style
(`with DAG`, the scaffold's template), TaskFlow's `@dag` and `dag = DAG(...)`. The
policy checks what a DAG does; the house style is tests/dags/test_dag_style.py's.
"""

from __future__ import annotations

import os
import subprocess
import sys

from devkit.paths import REPO
from devkit.tools.new_dag import render

BREAKS_EVERY_RULE = """
import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(
    dag_id="scratch_dag",
    description="too short",
    start_date=pendulum.datetime(2024, 1, 1),
    tags=["misc"],
    default_args={"owner": "airflow", "retries": 5, "email_on_failure": True},
) as dag:
    EmptyOperator(task_id="noop")
"""

READS_A_VARIABLE_AT_PARSE_TIME = """
import pendulum
from airflow.sdk import DAG, Variable
from lakehouse.conventions import DEFAULT_ARGS, Tag

BUCKET = Variable.get("landing_bucket")

with DAG(
    dag_id="tickit__parse_time_variable",
    description="reads a Variable at the top level of the file",
    schedule="@daily",
    catchup=False,
    dagrun_timeout=pendulum.duration(hours=1),
    start_date=pendulum.datetime(2024, 1, 1),
    tags=[Tag.PROJECT],
    default_args=DEFAULT_ARGS,
) as dag:
    pass
"""


RULES = (
    "test_one_dag_per_file_named_after_it",
    "test_dag_id_has_allowed_domain",
    "test_tags_from_taxonomy",
    "test_description_is_meaningful",
    "test_owner_is_a_team",
    "test_no_email_alerts",
    "test_retries_bounded",
    "test_schedule_catchup_and_timeout_explicit",
    "test_failures_notify",
)

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


def test_policy_names_each_broken_rule_and_file_and_passes_valid_styles(tmp_path):
    (tmp_path / "bad_name.py").write_text(BREAKS_EVERY_RULE)
    (tmp_path / "tickit__parse_time_variable.py").write_text(READS_A_VARIABLE_AT_PARSE_TIME)
    (tmp_path / "tickit__good_scaffold.py").write_text(
        render("tickit__good_scaffold")["dag.py.tmpl"]
    )
    (tmp_path / "tickit__good_classic.py").write_text(CLASSIC_ASSIGNMENT_STYLE)
    (tmp_path / "tickit__good_decorated.py").write_text(DECORATED_STYLE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    # The Variable exists, so only the offline-parse guard can catch the read.
    env.update(DAGS_UNDER_TEST=str(tmp_path), AIRFLOW_VAR_LANDING_BUCKET="some-bucket")

    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
         "tests/dags/test_dag_validation.py", "tests/dags/test_parse_offline.py"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert proc.returncode == 1, proc.stdout[-2000:]
    verdicts = [line.split(" ")[:2] for line in proc.stdout.splitlines() if " " in line]
    failed = {test for verdict, test in verdicts if verdict == "FAILED"}
    passed = {test for verdict, test in verdicts if verdict == "PASSED"}
    for rule in RULES:
        assert f"tests/dags/test_dag_validation.py::{rule}[bad_name]" in failed, rule
    assert (
        "tests/dags/test_parse_offline.py::test_parses_offline[tickit__parse_time_variable]"
        in failed
    )
    assert not any("[tickit__parse_time_variable]" in f and "validation" in f for f in failed)
    assert not [f for f in failed if "[tickit__good_" in f], "valid DAG styles must pass"
    for good in GOOD_DAGS:
        assert f"tests/dags/test_parse_offline.py::test_parses_offline[{good}]" in passed
        assert sum(f"[{good}]" in test for test in passed) == len(RULES) + 1, good
    assert "AttributeError" not in proc.stdout, "a failure must name the rule, not crash"
