"""deploy.dags.usage: what `infra settings` learns from the DAGs, and a broken file named."""

from __future__ import annotations

import json

from deploy.dags.usage import main, usage

DAG = """
from airflow.providers.amazon.aws.operators.s3 import S3CreateObjectOperator
from airflow.sdk import DAG

with DAG("probe__usage", schedule=None):
    S3CreateObjectOperator(
        task_id="write",
        aws_conn_id="probe_conn",
        s3_bucket="{{ var.value.probe_bucket }}",
        s3_key="k",
        data="d",
    )
"""


def test_usage_names_each_dags_variables_and_connections_and_the_declared_ones(tmp_path):
    (tmp_path / "probe__usage.py").write_text(DAG)
    report = usage(tmp_path)
    assert report["dags"] == {
        "probe__usage": {"variables": ["probe_bucket"], "connections": ["probe_conn"]}
    }
    assert "alerts_sns_topic_arn" in report["declared"]["variables"]  # lakehouse.conventions.Var


def test_a_dag_file_that_does_not_import_exits_3_naming_it(tmp_path, capsys):
    (tmp_path / "probe__broken.py").write_text("import no_such_module  # airflow DAG\n")
    out = tmp_path / "usage.json"
    assert main([str(out), str(tmp_path)]) == 3
    assert "probe__broken.py" in capsys.readouterr().err
    assert not out.exists()
    (tmp_path / "probe__broken.py").unlink()
    assert main([str(out), str(tmp_path)]) == 0
    assert json.loads(out.read_text())["dags"] == {}
