"""MWAA's InvokeRestApi on the fake endpoint, answered by local Airflow over a DAGs folder."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from devkit.emulator.standins import fake_mwaa
from devkit.iam.actions import Where, iam_requests

GOOD = '''"""A DAG that parses."""
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("demo__good", schedule="@daily", tags=["demo"]):
    EmptyOperator(task_id="noop")
'''
BROKEN = "from airflow.sdk import DAG\nimport no_such_module_anywhere\n"


@pytest.fixture(scope="module")
def mwaa(tmp_path_factory):
    """A fake MWAA serving one environment whose DAGs folder has a good and a broken file."""
    folder = tmp_path_factory.mktemp("dags")
    (folder / "demo__good.py").write_text(GOOD)
    (folder / "demo__broken.py").write_text(BROKEN)
    fake = fake_mwaa.FakeMwaa()
    fake.add("env", "bucket")
    triggered = []
    fake.serve_dags("env", folder, on_trigger=lambda dag_id, run: triggered.append(dag_id))
    server, url = fake_mwaa.start(fake)
    client = boto3.client(
        "mwaa",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # pragma: allowlist secret
        config=Config(inject_host_prefix=False),
    )
    yield client, triggered
    server.shutdown()


def _call(client, method: str, path: str, body=None) -> dict:
    kwargs = {"Body": body} if body is not None else {}
    return client.invoke_rest_api(Name="env", Path=path, Method=method, **kwargs)


def test_get_dags_lists_the_parsed_dags_paused_at_creation(mwaa):
    client, _ = mwaa
    answer = _call(client, "GET", "/dags")
    assert answer["RestApiStatusCode"] == 200
    dags = answer["RestApiResponse"]["dags"]
    assert [(d["dag_id"], d["is_paused"]) for d in dags] == [("demo__good", True)]
    assert dags[0]["relative_fileloc"] == "demo__good.py"


def test_get_import_errors_names_the_broken_file_and_its_error(mwaa):
    client, _ = mwaa
    errors = _call(client, "GET", "/importErrors")["RestApiResponse"]["import_errors"]
    assert [e["filename"] for e in errors] == ["demo__broken.py"]
    assert "no_such_module_anywhere" in errors[0]["stack_trace"]


def test_patch_unpauses_and_get_dags_then_shows_it(mwaa):
    client, _ = mwaa
    answer = _call(client, "PATCH", "/dags/demo__good", {"is_paused": False})
    assert answer["RestApiResponse"]["is_paused"] is False
    dags = _call(client, "GET", "/dags")["RestApiResponse"]["dags"]
    assert dags[0]["is_paused"] is False


def test_post_dag_runs_queues_a_run_and_hands_it_on(mwaa):
    client, triggered = mwaa
    body = {"logical_date": "2026-12-06T00:00:00+00:00", "conf": {}}
    run = _call(client, "POST", "/dags/demo__good/dagRuns", body)["RestApiResponse"]
    assert (run["dag_id"], run["state"], run["logical_date"]) == (
        "demo__good",
        "queued",
        "2026-12-06T00:00:00+00:00",
    )
    assert triggered == ["demo__good"]


def test_an_unknown_dag_is_a_rest_api_client_error_with_airflows_status(mwaa):
    client, _ = mwaa
    with pytest.raises(client.exceptions.RestApiClientException) as raised:
        _call(client, "PATCH", "/dags/demo__broken", {"is_paused": False})
    assert raised.value.response["RestApiStatusCode"] == 404
    assert "demo__broken" in raised.value.response["RestApiResponse"]["detail"]


def test_invoke_rest_api_is_checked_as_airflow_invoke_rest_api_on_the_airflow_role():
    # MWAA User Guide, "Using the Apache Airflow REST API": the resource is the Airflow
    # role the caller acts as, arn:...:role/<environment>/<role>; the deploy tool is User.
    where = Where("us-east-1", "123456789012")
    requests = iam_requests("mwaa", "InvokeRestApi", {"Name": "env"}, where)
    assert [(r.action, r.resource) for r in requests] == [
        ("airflow:InvokeRestApi", "arn:aws:airflow:us-east-1:123456789012:role/env/User")
    ]
