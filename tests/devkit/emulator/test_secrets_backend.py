"""Airflow reads Variables and Connections from Secrets Manager, as on MWAA.

The backend and its prefixes are the template's (MwaaEnvironment's
AirflowConfigurationOptions); the secrets are what `deploy infra settings --apply`
writes (deploy.airflow_settings.write_secrets); the backend signs as the MWAA
execution role, so the IAM check sees its reads.
"""

from __future__ import annotations

import json
import uuid

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
