"""The policy tests can fail: run them on a folder of bad DAGs and read the verdicts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

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


def test_policy_names_each_broken_rule_and_file(tmp_path):
    (tmp_path / "bad_name.py").write_text(BREAKS_EVERY_RULE)
    (tmp_path / "tickit__parse_time_variable.py").write_text(READS_A_VARIABLE_AT_PARSE_TIME)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    # The Variable exists, so only the offline-parse guard can catch the read.
    env.update(DAGS_UNDER_TEST=str(tmp_path), AIRFLOW_VAR_LANDING_BUCKET="some-bucket")

    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider",
         "tests/dags/test_dag_validation.py", "tests/dags/test_parse_offline.py"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert proc.returncode == 1, proc.stdout[-2000:]
    failed = {line.split(" ")[1] for line in proc.stdout.splitlines() if line.startswith("FAILED")}
    for rule in (
        "test_one_dag_per_file_named_after_it",
        "test_dag_id_has_allowed_domain",
        "test_tags_from_taxonomy",
        "test_description_is_meaningful",
        "test_owner_is_a_team",
        "test_no_email_alerts",
        "test_retries_bounded",
        "test_schedule_catchup_and_timeout_explicit",
        "test_failures_notify",
    ):
        assert f"tests/dags/test_dag_validation.py::{rule}[bad_name]" in failed, rule
    assert (
        "tests/dags/test_parse_offline.py::test_parses_offline[tickit__parse_time_variable]"
        in failed
    )
    assert not any("[tickit__parse_time_variable]" in f and "validation" in f for f in failed)
