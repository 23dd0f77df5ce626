"""What `make dag` writes runs a night on the emulation, within the roles' policies.

The scaffold promises a DAG that passes the gate as written: its own test
(devkit/tools/templates/test_dag.py.tmpl) is that promise, run here on the rendered
files from a temporary DAGs folder, so a change to the conventions, the
emulation or the IAM policies that breaks it fails here, not in a newcomer's
first pull request. Every access is checked against infra/ (tests/dags/conftest.py).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from devkit.airflow.dagrun import interval_end, run_dag, stored_dags
from devkit.domains import for_dags
from devkit.run.local_up import new_stack_name, pipeline_on_stack
from devkit.tools.new_dag import write

pytestmark = pytest.mark.integration

DAG_ID = "tickit__scaffold_check"
DAY = date(2008, 1, 2)


def test_the_scaffold_dag_lands_its_night_using_only_the_house_resources(
    local_aws, airflow_db, tmp_path
):
    dags, tests = tmp_path / "dags", tmp_path / "tests"
    dags.mkdir()
    tests.mkdir()
    _, test_file = write(DAG_ID, dags_dir=dags, tests_dir=tests)
    pipeline = pipeline_on_stack(local_aws, new_stack_name(), domains=for_dags(()))  # house only

    with pipeline.environment():
        result = run_dag(DAG_ID, interval_end(DAY), dag=stored_dags(dags)[DAG_ID])

    assert result.state == "success", [(t.task_id, t.state, t.log) for t in result.failed]
    key = f"bronze/tickit/scaffold_check/load_date={DAY}/extract.json"
    # ... and the test `make dag` wrote beside it checks that same object.
    assert 'key = f"bronze/tickit/scaffold_check/load_date={DAY}/extract.json"' in (
        test_file.read_text()
    )
    body = pipeline.aws.s3_client().get_object(Bucket=pipeline.names.lake_bucket, Key=key)
    assert json.loads(body["Body"].read()) == [{"day": str(DAY), "rows": 0}]
