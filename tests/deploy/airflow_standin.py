"""A stand-in for Airflow behind MWAA's InvokeRestApi, on the real boto3 client.

It answers at botocore's `before-call` (after the request was validated and
serialized, so the wire shape is the real one: POST /restapi/{Name} with Path,
Method, QueryParameters, Body) and "parses" the bucket as MWAA would: every
top-level dags/*.py is a DAG named after its file, and a file that says
`raise ImportError` is an import error. Parsing lags `lag` polls behind the
upload, as MWAA's S3 sync and DAG processor do.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import PurePosixPath

from botocore.awsrequest import AWSResponse


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_):
        yield self.data


class StandInAirflow:
    """Airflow's /dags, /importErrors, PATCH /dags/{id}, POST /dags/{id}/dagRuns."""

    def __init__(self, s3, bucket: str, lag: int = 1, clock: tuple[str, ...] = ()) -> None:
        self.s3, self.bucket, self.lag = s3, bucket, lag
        self.clock = set(clock)  # DAG ids on a cron schedule (the others: on Assets)
        self.paused: dict[str, bool] = {}
        self.runs: dict[tuple[str, str], str] = {}  # (dag_id, logical_date) -> run id
        self.calls: list[tuple[str, str]] = []
        self.seen: dict[str, int] = {}  # key@etag -> polls since first seen
        self.bodies: dict[str, str] = {}  # key@etag -> the file's text (read once)

    def attach(self, mwaa) -> None:
        mwaa.meta.events.register("before-call.mwaa.InvokeRestApi", self._answer)

    def _files(self, tick: bool) -> dict[str, tuple[str, str]]:
        """dag_id -> (text, etag) of the files MWAA has synced (after the lag); `tick`:
        one more DAG processor loop has passed."""
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="dags/").get("Contents", [])
        files = {}
        for item in listed:
            path = PurePosixPath(item["Key"])
            if len(path.parts) != 2 or path.suffix != ".py":
                continue
            mark = f"{item['Key']}@{item['ETag']}"
            self.seen[mark] = self.seen.get(mark, -1) + int(tick or mark not in self.seen)
            if self.seen[mark] >= self.lag:
                if mark not in self.bodies:  # an ETag names one content: read it once
                    body = self.s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"]
                    self.bodies[mark] = body.read().decode()
                files[path.stem] = (self.bodies[mark], item["ETag"])
        return files

    def _route(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        now = datetime.now(timezone.utc).isoformat()
        files = self._files(tick=path == "/importErrors")
        if method == "GET" and path == "/importErrors":
            errors = [
                {"filename": f"{d}.py", "stack_trace": "Traceback...\nImportError: no module x"}
                for d, (text, _) in files.items()
                if "raise ImportError" in text
            ]
            return 200, {"import_errors": errors, "total_entries": len(errors)}
        dags = {d: f for d, f in files.items() if "raise ImportError" not in f[0]}
        if method == "GET" and path == "/dags":
            listed = [
                {
                    "dag_id": d,
                    "is_paused": self.paused.get(d, True),
                    "last_parsed_time": now,
                    "timetable_summary": "0 0 * * *" if d in self.clock else "Asset",
                }
                for d in sorted(dags)
            ]
            return 200, {"dags": listed, "total_entries": len(listed)}
        dag_id = path.split("/")[2] if path.startswith("/dags/") else ""
        if dag_id not in dags:
            return 404, {"detail": f"The DAG with dag_id: `{dag_id}` was not found"}
        if method == "PATCH":
            self.paused[dag_id] = body["is_paused"]
            return 200, {"dag_id": dag_id, "is_paused": body["is_paused"]}
        run = (dag_id, body.get("logical_date"))
        if run in self.runs:
            return 409, {"detail": f"DAG Run {run} already exists"}
        self.runs[run] = f"manual__{run[1]}"
        return 200, {"dag_id": dag_id, "dag_run_id": self.runs[run]}

    def _answer(self, model, params, **_):
        request = json.loads(params["body"] or b"{}")
        self.calls.append((request["Method"], request["Path"]))
        status, response = self._route(
            request["Method"], request["Path"], request.get("Body") or {}
        )
        if status >= 400:
            payload = {
                "RestApiStatusCode": status,
                "RestApiResponse": response,
                "message": "Airflow said no",
            }
            headers = {"x-amzn-ErrorType": "RestApiClientException"}
        else:
            payload = {"RestApiStatusCode": status, "RestApiResponse": response}
            headers = {}
        data = json.dumps(payload).encode()
        http = AWSResponse(params["url"], 400 if status >= 400 else 200, headers, _Raw(data))
        parser_response = {"status_code": http.status_code, "headers": headers, "body": data}
        from botocore.parsers import create_parser

        parsed = create_parser("rest-json").parse(parser_response, model.output_shape)
        if status >= 400:
            parsed = create_parser("rest-json").parse(parser_response, None)
            parsed.update({"RestApiStatusCode": status, "RestApiResponse": response})
        return http, parsed
