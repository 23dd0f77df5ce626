"""The amazon provider patches share only what is safe to share (devkit/patches/)."""

from __future__ import annotations

import json
import threading

from devkit import patches

CONN = {
    "conn_type": "aws",
    "login": "local-key-id",
    "password": "local-not-a-secret",  # pragma: allowlist secret
}


def _session(region: str):
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    return AwsBaseHook(aws_conn_id="speedups_aws", region_name=region).get_session()


def test_hooks_on_one_thread_share_a_session_per_region_and_threads_do_not(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SPEEDUPS_AWS", json.dumps(CONN))
    patches.apply_all()
    first, again = _session("eu-west-1"), _session("eu-west-1")
    assert first is again
    assert first.region_name == "eu-west-1"
    assert first.get_credentials().access_key == "local-key-id"
    other_region = _session("us-east-1")
    assert other_region is not first and other_region.region_name == "us-east-1"
    on_another_thread = []
    worker = threading.Thread(target=lambda: on_another_thread.append(_session("eu-west-1")))
    worker.start()
    worker.join()
    assert on_another_thread[0] is not first
