"""Airflow reads Variables and Connections from Secrets Manager, as on MWAA.

The backend and its prefixes are the template's (MwaaEnvironment's
AirflowConfigurationOptions); the secrets are what `deploy infra settings --apply`
writes (deploy.airflow_settings.write_secrets); the backend signs as the MWAA
execution role, so the IAM check sees its reads.
"""

from __future__ import annotations

import json
import uuid

import pytest
from airflow.sdk._shared.module_loading import import_string

from deploy.airflow_settings import AirflowSettings, write_secrets
from devkit.iam import recorder
from devkit.run.local_stack import secrets_backend


def test_the_templates_backend_reads_what_the_settings_command_wrote(local_aws):
    name, bucket = f"v_{uuid.uuid4().hex[:8]}", f"landing-{uuid.uuid4().hex[:8]}"
    connection = {"conn_type": "aws", "extra": {"region_name": "us-east-1"}}
    stack = f"t{uuid.uuid4().hex[:8]}"
    settings = AirflowSettings(
        {name: bucket},
        {f"c_{name}": connection},
        f"{stack}/airflow/variables",
        f"{stack}/airflow/connections",
    )
    written = write_secrets(local_aws.client("secretsmanager"), settings, lambda line: None)
    assert set(written.values()) == {"created"}

    path, kwargs = secrets_backend(local_aws, stack)
    assert path == "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
    mark = recorder.LOG.mark()
    backend = import_string(path)(**kwargs)
    assert backend.get_variable(name) == bucket
    read = json.loads(backend.get_conn_value(f"c_{name}"))
    assert (read["conn_type"], read["extra"]) == ("aws", connection["extra"])
    assert backend.get_variable("no_such_variable") is None
    reads = [
        a for a in recorder.LOG.since(mark) if getattr(a, "principal", "") == "MwaaExecutionRole"
    ]
    assert any(
        a.action == "secretsmanager:GetSecretValue"
        and f"{stack}/airflow/variables/{name}" in a.resource  # this stack's prefix
        for a in reads
    )


def _settings_of(local_aws, stack: str, value: str):
    """A stack's settings as the settings step writes them, and the pipeline's view."""
    from devkit.run.local_env import StackSettings

    prefix = f"{stack}/airflow"
    connection = {"conn_type": "aws", "extra": {"role_arn": f"arn:aws:iam::1:role/{stack}"}}
    written = AirflowSettings(
        {"landing_bucket": value},
        {"aws_x": connection},
        f"{prefix}/variables",
        f"{prefix}/connections",
    )
    write_secrets(local_aws.client("secretsmanager"), written, lambda line: None)
    path, kwargs = secrets_backend(local_aws, stack)
    return StackSettings({"landing_bucket": value}, {"aws_x": connection}, path, kwargs)


def test_pipelines_on_two_stacks_in_one_process_each_read_their_own(local_aws):
    """Airflow builds its backend from the environment at every look-up (unless one was
    configured when it was imported): each pipeline's own prefixes, in turn."""
    from airflow.sdk import Connection, Variable

    from devkit.emulator import patched_environ
    from devkit.run.local_env import backend_is_read_per_lookup

    first, second = (f"t{uuid.uuid4().hex[:8]}" for _ in range(2))
    stacks = {
        stack: _settings_of(local_aws, stack, f"landing-{stack}") for stack in (first, second)
    }
    backend_is_read_per_lookup()
    for stack in (first, second, first):
        with patched_environ(stacks[stack].backend_env()):
            assert Variable.get("landing_bucket") == f"landing-{stack}"
            assert Connection.get("aws_x").extra_dejson["role_arn"].endswith(f"/{stack}")
        with patched_environ(stacks[stack].backend_env(hidden={"landing_bucket"})):
            assert Variable.get("landing_bucket", default=None) is None  # hidden: not asked


def test_a_backend_airflow_holds_for_the_process_is_refused_by_name(monkeypatch):
    from airflow import configuration

    from devkit.run.local_env import backend_is_read_per_lookup

    monkeypatch.setattr(configuration, "secrets_backend_list", [object()] * 3)
    with pytest.raises(RuntimeError, match="AIRFLOW__SECRETS__BACKEND"):
        backend_is_read_per_lookup()
