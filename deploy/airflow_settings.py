"""Airflow Variables and Connections from the stack's outputs, in MWAA's secrets backend.

Why from outputs: the stack creates the buckets, roles and workgroup, so its
outputs are the only values that cannot drift from what exists. The naming rule
is the templates' contract: Variable `landing_bucket` <- Output `LandingBucket`.
Connections are built from a few outputs each (CONNECTIONS below). Secrets are
written where this stack's MWAA environment reads them, its own prefixes (outputs
AirflowVariablesPrefix, AirflowConnectionsPrefix: `<stack>/airflow/variables/<name>`,
the plain value, and `<stack>/airflow/connections/<conn_id>`, Airflow's JSON form), so
two environments in one account never read each other's settings.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Callable

from botocore.exceptions import ClientError

from deploy.dag_usage import DagUsage
from deploy.errors import DeployError

# The outputs naming the secrets backend's prefixes (MwaaEnvironment's backend_kwargs).
PREFIX_OUTPUTS = ("AirflowVariablesPrefix", "AirflowConnectionsPrefix")

Outputs = dict[str, str]


def output_key(variable: str) -> str:
    """The Output holding a Variable: `alerts_sns_topic_arn` -> `AlertsSnsTopicArn`."""
    return "".join(part[:1].upper() + part[1:] for part in variable.split("_"))


@dataclass(frozen=True)
class ConnectionRecipe:
    """The outputs a connection is made of, and how."""

    outputs: tuple[str, ...]
    build: Callable[[Outputs, str], dict]


def _aws_default(_outputs: Outputs, region: str) -> dict:
    # No keys: on MWAA the execution role's credentials are used.
    return {"conn_type": "aws", "extra": {"region_name": region}}


def _redshift_s3_role(outputs: Outputs, _region: str) -> dict:
    # Only the role Redshift assumes for COPY/UNLOAD (rendered as IAM_ROLE, never keys).
    return {"conn_type": "aws", "extra": {"role_arn": outputs["RedshiftCopyUnloadRoleArn"]}}


def _redshift_sql(outputs: Outputs, region: str) -> dict:
    # IAM auth against Redshift Serverless: RedshiftSQLHook fetches temporary credentials
    # with redshift-serverless:GetCredentials; the extras also go to redshift_connector.
    return {
        "conn_type": "redshift",
        "host": outputs["RedshiftWorkgroupEndpoint"],
        "port": int(outputs["RedshiftWorkgroupPort"]),
        "schema": outputs["RedshiftDatabase"],
        "extra": {
            "iam": True,
            "is_serverless": True,
            "serverless_work_group": outputs["RedshiftWorkgroup"],
            "region": region,
        },
    }


CONNECTIONS: dict[str, ConnectionRecipe] = {
    "aws_default": ConnectionRecipe((), _aws_default),
    "aws_redshift_iam_role": ConnectionRecipe(("RedshiftCopyUnloadRoleArn",), _redshift_s3_role),
    "redshift_default": ConnectionRecipe(
        (
            "RedshiftWorkgroupEndpoint",
            "RedshiftWorkgroupPort",
            "RedshiftWorkgroup",
            "RedshiftDatabase",
        ),
        _redshift_sql,
    ),
}


@dataclass
class AirflowSettings:
    """What the DAGs need, resolved: Variable values and Connection dicts."""

    variables: dict[str, str]
    connections: dict[str, dict]
    variables_prefix: str = ""
    connections_prefix: str = ""


def stack_outputs(cfn, stack: str) -> Outputs:
    """The stack's outputs as {key: value}; a clear error when the stack is missing."""
    try:
        stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in exc.response.get("Error", {}).get("Message", ""):
            raise DeployError(
                f"stack {stack} does not exist in this region: check --stack and AWS_REGION, "
                "or create it with `python -m deploy infra apply`"
            ) from None
        raise
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def resolve(usage: DagUsage, outputs: Outputs, region: str, stack: str) -> AirflowSettings:
    """Map every Variable/Connection the DAGs use to outputs; list every gap at once."""
    missing = [
        f"Output {key} (the secrets backend's prefix)"
        for key in PREFIX_OUTPUTS
        if key not in outputs
    ]
    variables = {}
    for name in sorted(usage.variables):
        key = output_key(name)
        if key in outputs:
            variables[name] = outputs[key]
        else:
            missing.append(f"Variable {name} ({usage.users('variables', name)}) needs Output {key}")
    connections = {}
    for conn_id in sorted(usage.connections):
        recipe = CONNECTIONS.get(conn_id)
        if recipe is None:
            missing.append(
                f"Connection {conn_id} ({usage.users('connections', conn_id)}) has no "
                "recipe: add one to CONNECTIONS in deploy/airflow_settings.py"
            )
            continue
        lacking = [key for key in recipe.outputs if key not in outputs]
        if lacking:
            missing.append(
                f"Connection {conn_id} ({usage.users('connections', conn_id)}) needs "
                f"Output(s) {', '.join(lacking)}"
            )
            continue
        connections[conn_id] = recipe.build(outputs, region)
    if missing:
        raise DeployError(
            f"stack {stack} lacks what the DAGs need: " + "; ".join(missing) + ". Add the "
            "Outputs to the template (infra/) and apply it"
        )
    return AirflowSettings(variables, connections, *(outputs[key] for key in PREFIX_OUTPUTS))


def connection_json(connection: dict) -> str:
    """Airflow's JSON connection form, stable so an unchanged value compares equal."""
    return json.dumps(connection, sort_keys=True, separators=(",", ":"))


def render(settings: AirflowSettings, fmt: str = "text") -> str:
    """`name = value` lines, or `AIRFLOW_VAR_X=...` / `AIRFLOW_CONN_Y=...` for a shell."""
    if fmt == "env":
        lines = [
            f"AIRFLOW_VAR_{name.upper()}={shlex.quote(value)}"
            for name, value in settings.variables.items()
        ]
        lines += [
            f"AIRFLOW_CONN_{conn_id.upper()}={shlex.quote(connection_json(conn))}"
            for conn_id, conn in settings.connections.items()
        ]
        return "\n".join(lines)
    width = max(len(n) for n in [*settings.variables, *settings.connections, "x"])
    lines = ["# Variables"]
    lines += [f"{name:<{width}} = {value}" for name, value in settings.variables.items()]
    lines.append("# Connections")
    lines += [
        f"{conn_id:<{width}} = {connection_json(conn)}"
        for conn_id, conn in settings.connections.items()
    ]
    return "\n".join(lines)


def secrets(settings: AirflowSettings) -> dict[str, str]:
    """Secret name -> secret string, as the MWAA Secrets Manager backend reads them."""
    named = {f"{settings.variables_prefix}/{k}": v for k, v in settings.variables.items()}
    named.update(
        {
            f"{settings.connections_prefix}/{k}": connection_json(v)
            for k, v in settings.connections.items()
        }
    )
    return named


def write_secrets(client, settings: AirflowSettings, say: Callable[[str], None]) -> dict[str, str]:
    """Create or update each secret, only when its value differs; name -> outcome."""
    outcomes = {}
    for name, value in secrets(settings).items():
        current = _current_value(client, name)
        if current is None:
            client.create_secret(
                Name=name,
                SecretString=value,
                Description="Airflow setting written by python -m deploy infra settings",
            )
            outcome = "created"
        elif _same(name, current, value, settings.connections_prefix):
            outcome = "unchanged"
        else:
            client.put_secret_value(SecretId=name, SecretString=value)
            outcome = "updated"
        outcomes[name] = outcome
        say(f"  {outcome:<9} {name}")
    return outcomes


def _current_value(client, name: str) -> str | None:
    try:
        return client.get_secret_value(SecretId=name).get("SecretString")
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ResourceNotFoundException":
            return None
        if "deletion" in error.get("Message", ""):
            raise DeployError(
                f"secret {name} is scheduled for deletion: restore it "
                f"(aws secretsmanager restore-secret --secret-id {name}) and rerun"
            ) from None
        raise


def _same(name: str, current: str, wanted: str, connections_prefix: str) -> bool:
    """Connections compare as JSON (key order and spacing do not matter)."""
    if name.startswith(connections_prefix + "/"):
        try:
            return json.loads(current) == json.loads(wanted)
        except json.JSONDecodeError:
            return False
    return current == wanted
