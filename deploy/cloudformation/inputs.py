"""The template and parameters a change set is made from, read and checked before any call.

Parameter files come in either shape people already have: the AWS CLI's list of
{"ParameterKey", "ParameterValue"} or a plain {"Key": "Value"} object. Values
given with --parameter win over the file's, so one value can differ per run.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import yaml

from deploy.errors import DeployError

# CloudFormation's limits: TemplateBody inline in a request, and a template read from S3.
MAX_TEMPLATE_BODY = 51_200
MAX_TEMPLATE_URL = 1_000_000
TEMPLATE_PREFIX = "cloudformation"


def read_template(path: Path) -> str:
    """The template text; a clear error when it is missing."""
    if not path.is_file():
        raise DeployError(f"template {path} not found: pass --template PATH")
    return path.read_text()


def template_source(
    s3, body: str, path: Path, stack: str, bucket: str | None, region: str
) -> dict[str, str]:
    """TemplateBody when it fits inline (as written, else as minified JSON), else
    TemplateURL of a copy in `bucket`.

    The copy's key is the template's sha256 under cloudformation/<stack>/, so a
    rerun writes the same object and nothing else in the bucket is touched.
    """
    size = len(body.encode())
    if size <= MAX_TEMPLATE_BODY:
        return {"TemplateBody": body}
    compact = minified(body, path)
    if len(compact.encode()) <= MAX_TEMPLATE_BODY:
        return {"TemplateBody": compact}
    if size > MAX_TEMPLATE_URL:
        raise DeployError(f"template {path} is {size} bytes; CloudFormation reads at most 1 MB")
    if not bucket:
        raise DeployError(
            f"template {path} is {size} bytes, over CloudFormation's {MAX_TEMPLATE_BODY}-byte "
            "inline limit: pass --template-bucket (or MWAA_INFRA_TEMPLATE_BUCKET), an existing "
            "bucket in this region the template is uploaded to"
        )
    key = f"{TEMPLATE_PREFIX}/{stack}/{hashlib.sha256(body.encode()).hexdigest()}.yaml"
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
    return {"TemplateURL": f"https://{bucket}.s3.{region}.amazonaws.com/{key}"}


def fits_inline(body: str, path: Path) -> bool:
    """Whether CloudFormation takes the template as TemplateBody (as written or minified)."""
    size = len(body.encode())
    return size <= MAX_TEMPLATE_BODY or len(minified(body, path).encode()) <= MAX_TEMPLATE_BODY


def seed_template(body: str, path: Path, resource: str) -> str:
    """The template's own `resource` alone, with an Output of the same name: the first
    change set of a new stack whose template is over the inline limit creates only the
    bucket that then holds the template (the full template changes nothing in it)."""
    whole = json.loads(minified(body, path))
    if resource not in whole.get("Resources", {}):
        raise DeployError(f"template {path} has no {resource}: pass --template-bucket")
    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {resource: whole["Resources"][resource]},
            "Outputs": {resource: {"Value": {"Ref": resource}}},
        },
        separators=(",", ":"),
    )


def minified(body: str, path: Path) -> str:
    """The same template as JSON without comments or layout: CloudFormation reads both
    forms, and infra/pipelines.yaml fits the inline limit only this way."""
    return _minified(body, str(path))


@lru_cache(maxsize=4)
def _minified(body: str, path: str) -> str:
    template, problems = decode(body)
    if problems or not isinstance(template, dict):
        raise DeployError(f"template {path} cannot be read: {problems or 'not a mapping'}")
    return json.dumps(template, separators=(",", ":"))


# Parsing the YAML template is the slowest part of an apply on the emulation, and one
# process reads the same text again and again (a stack per test, the review's trees, the
# IAM check's policies): parsed once per text.
@lru_cache(maxsize=8)
def decode(body: str) -> tuple[object, str]:
    """(the template as plain dicts, its problems joined or ""): cfn-lint's decoder knows
    the `!Sub`-style tags. Shared between callers: read it, never change it."""
    from cfnlint.decode import decode_str  # the gate's own template parser, in .venv

    template, problems = decode_str(body)
    return template, "; ".join(str(problem) for problem in problems)


def template_parameters(body: str) -> set[str]:
    """The parameter names a template declares (its `!Ref`-style tags are not needed)."""
    return set(_parameters(body))


# libyaml's loader when PyYAML has it: the same document, ~9x less CPU than the pure
# Python one on infra/pipelines.yaml (0.011 s against 0.098 s per parse, once per process).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=4)
def _parameters(body: str) -> frozenset[str]:
    class Loader(_SAFE_LOADER):  # type: ignore[misc,valid-type]
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    try:
        parsed = yaml.load(body, Loader=Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise DeployError(f"the template is not valid YAML: {exc}") from None
    return frozenset((parsed or {}).get("Parameters") or {})


def read_parameters(
    file: Path | None, overrides: list[str], defaults: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """Parameters for CreateChangeSet: the environment's (`defaults`), the file's, then
    the KEY=VALUE overrides, each winning over the one before."""
    values: dict[str, str] = {**(defaults or {}), **(_from_file(file) if file else {})}
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
