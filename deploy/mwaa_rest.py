"""Airflow's REST API on MWAA through `InvokeRestApi`: the web server stays private.

MWAA User Guide, "Using the Apache Airflow REST API"
(https://docs.aws.amazon.com/mwaa/latest/userguide/access-mwaa-apache-airflow-rest-api.html):
`POST /restapi/{Name}` with the Airflow path, method, query and body; the caller
needs `airflow:InvokeRestApi` on `arn:...:airflow:<region>:<account>:role/<env>/<role>`
(DeployRole in infra/pipelines.yaml holds it). Responses are capped at 6 MB and
10 seconds, so lists are read in pages.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from deploy.errors import DeployError

PAGE = 100  # entries per page: far below the 6 MB response cap


def invoke(mwaa, environment: str, method: str, path: str, query=None, body=None, allow=()):
    """One call; an Airflow error (4xx/5xx) becomes a DeployError naming path and status,
    except the statuses in `allow`, returned as {"status": code}."""
    request = {"Name": environment, "Path": path, "Method": method}
    if query:
        request["QueryParameters"] = query
    if body is not None:
        request["Body"] = body
    try:
        response = mwaa.invoke_rest_api(**request)
    except ClientError as exc:
        error = exc.response
        code = error.get("RestApiStatusCode") or error.get("Error", {}).get("Code")
        if code in allow:
            return {"status": code}
        detail = error.get("RestApiResponse") or error.get("Error", {}).get("Message", "")
        raise DeployError(
            f"MWAA environment {environment}: {method} {path} failed ({code}): {detail}"
        ) from None
    status = response.get("RestApiStatusCode", 200)
    if status in allow:
        return {"status": status}
    if status >= 400:
        raise DeployError(
            f"MWAA environment {environment}: {method} {path} answered {status}: "
            f"{response.get('RestApiResponse')}"
        )
    return response.get("RestApiResponse") or {}


def listed(mwaa, environment: str, path: str, key: str) -> list[dict]:
    """Every entry of a paged Airflow list (`/dags` -> "dags", `/importErrors` -> ...)."""
    entries: list[dict] = []
    while True:
        page = invoke(mwaa, environment, "GET", path, {"limit": PAGE, "offset": len(entries)})
        batch = page.get(key) or []
        entries.extend(batch)
        if not batch or len(entries) >= page.get("total_entries", len(entries)):
            return entries


def dags(mwaa, environment: str) -> dict[str, dict]:
    """dag_id -> the DAG as Airflow lists it (is_paused, last_parsed_time, ...)."""
    return {d["dag_id"]: d for d in listed(mwaa, environment, "/dags", "dags")}


def import_errors(mwaa, environment: str) -> list[dict]:
    """Airflow's current import errors: filename, stack_trace, timestamp."""
    return listed(mwaa, environment, "/importErrors", "import_errors")


def unpause(mwaa, environment: str, dag_id: str) -> None:
    """PATCH /dags/{dag_id} is_paused=false."""
    invoke(mwaa, environment, "PATCH", f"/dags/{dag_id}", body={"is_paused": False})


def trigger(
    mwaa, environment: str, dag_id: str, logical_date: str, interval: tuple[str, str] | None = None
) -> str | None:
    """POST /dags/{dag_id}/dagRuns for `logical_date` (ISO); the run id, or None when a
    run of that date exists already (409: the scheduler, or an earlier `up`, made it).

    `interval` (start, end) is the run's data interval. Without it Airflow infers the
    interval that *ends* at `logical_date` (`infer_manual_data_interval`): the night
    before the one meant, whose extracts are not there."""
    body = {"logical_date": logical_date}
    if interval is not None:
        body.update(data_interval_start=interval[0], data_interval_end=interval[1])
    path = f"/dags/{dag_id}/dagRuns"
    run = invoke(mwaa, environment, "POST", path, body=body, allow=(409,))
    return None if run.get("status") == 409 else str(run.get("dag_run_id", "?"))
