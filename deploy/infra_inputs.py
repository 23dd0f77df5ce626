"""The template and parameters a change set is made from, read and checked before any call.

Parameter files come in either shape people already have: the AWS CLI's list of
{"ParameterKey", "ParameterValue"} or a plain {"Key": "Value"} object. Values
given with --parameter win over the file's, so one value can differ per run.
"""

from __future__ import annotations

import json
from pathlib import Path

from deploy.errors import DeployError

# CloudFormation's limit for TemplateBody in a request (larger ones need TemplateURL).
MAX_TEMPLATE_BODY = 51_200


def read_template(path: Path) -> str:
    """The template text; a clear error when it is missing or too big to send inline."""
    if not path.is_file():
        raise DeployError(f"template {path} not found: pass --template PATH")
    body = path.read_text()
    if len(body.encode()) > MAX_TEMPLATE_BODY:
        raise DeployError(
            f"template {path} is {len(body.encode())} bytes; CloudFormation accepts at most "
            f"{MAX_TEMPLATE_BODY} inline: split it (e.g. a nested or second stack)"
        )
    return body


def read_parameters(file: Path | None, overrides: list[str]) -> list[dict[str, str]]:
    """Parameters for CreateChangeSet, from the file and then the KEY=VALUE overrides."""
    values: dict[str, str] = _from_file(file) if file else {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise DeployError(f"--parameter {item!r}: expected KEY=VALUE")
        values[key] = value
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(values.items())]


def _from_file(file: Path) -> dict[str, str]:
    if not file.is_file():
        raise DeployError(f"parameters file {file} not found: check --parameters")
    try:
        data = json.loads(file.read_text())
    except json.JSONDecodeError as exc:
        raise DeployError(f"parameters file {file} is not valid JSON: {exc}") from None
    if isinstance(data, dict) and all(isinstance(v, (str, int, float)) for v in data.values()):
        return {str(k): str(v) for k, v in data.items()}
    if isinstance(data, list) and all(
        isinstance(p, dict) and "ParameterKey" in p and "ParameterValue" in p for p in data
    ):
        return {str(p["ParameterKey"]): str(p["ParameterValue"]) for p in data}
    raise DeployError(
        f'parameters file {file}: expected {{"Key": "Value", ...}} or the AWS CLI\'s '
        '[{"ParameterKey": ..., "ParameterValue": ...}, ...]'
    )
