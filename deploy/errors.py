"""Expected failures become one readable line that says what to do next."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

THROTTLING = {"Throttling", "ThrottlingException", "SlowDown", "TooManyRequestsException"}


class DeployError(Exception):
    """A failure we expected and can explain; printed without a traceback."""


def explain(exc: Exception, bucket: str | None = None, environment: str | None = None) -> str:
    """Turn a botocore exception into an actionable message."""
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials found: log in (aws sso login / AWS_PROFILE) or assume the role"
    if isinstance(exc, NoRegionError):
        return "no AWS region: set AWS_REGION or pass --region"
    if isinstance(exc, EndpointConnectionError):
        return f"cannot reach AWS endpoint ({exc}); check network, region and AWS_ENDPOINT_URL"
    if not isinstance(exc, ClientError):
        return str(exc)
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    message = error.get("Message", "")
    operation = exc.operation_name
    if code == "NoSuchBucket":
        return f"bucket {bucket!r} does not exist: check MWAA_BUCKET / --bucket and the region"
    if code in {"AccessDenied", "403", "AccessDeniedException", "Forbidden"}:
        return (
            f"access denied for {operation} (bucket {bucket!r}, environment {environment!r}): "
            "the credentials in use lack a permission of DeployRole in infra/pipelines.yaml"
        )
    if code in THROTTLING:
        return (
            f"AWS kept throttling {operation} after adaptive retries; wait a minute and rerun "
            "(a rerun converges: nothing is deleted by a failed run)"
        )
    if code == "ResourceNotFoundException":
        return (
            f"MWAA environment {environment!r} not found: check MWAA_ENVIRONMENT / "
            "--environment and AWS_REGION"
        )
    return f"{operation} failed: {code}: {message}"
