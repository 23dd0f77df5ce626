"""A tiny MWAA REST endpoint, because moto (5.2.5) has no MWAA backend.

It speaks the real wire protocol (rest-json: GET/PUT/PATCH /environments/{Name},
POST /restapi/{Name}), so the deploy tool's real boto3 client - parameter
validation included - is exercised. Status moves one step per GetEnvironment call
after an update, following a script the test chooses (success, or failure with
rollback). InvokeRestApi is answered by a local Airflow over a DAGs folder
(`serve_dags`, devkit/airflow/rest_api.py), as MWAA forwards it to its own.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

VERSION_FIELDS = (
    "PluginsS3Path",
    "PluginsS3ObjectVersion",
    "RequirementsS3Path",
    "RequirementsS3ObjectVersion",
    "StartupScriptS3Path",
    "StartupScriptS3ObjectVersion",
)


class FakeMwaa:
    """Environments plus a record of every UpdateEnvironment request."""

    # What an update's status walks through, one step per GetEnvironment; a test picks
    # one per environment with `next_script[name] = ...` (the default: it succeeds).
    UPDATE_SUCCEEDS = ("UPDATING", "UPDATING", "AVAILABLE")
    UPDATE_ROLLS_BACK = ("UPDATING", "ROLLING_BACK", "UPDATE_FAILED")
    UPDATE_FAILS = ("UPDATING", "UPDATE_FAILED")

    def __init__(self) -> None:
        self.environments: dict[str, dict] = {}
        self.scripts: dict[str, list[str]] = {}
        self.pending: dict[str, dict] = {}
        self.updates: list[dict] = []
        self.next_script: dict[str, tuple[str, ...]] = {}
        self.airflow: dict[str, object] = {}  # environment -> its LocalAirflowApi
        self.lock = threading.Lock()

    def serve_dags(self, name: str, dag_folder: Path, on_trigger=None):
        """Answer the environment's InvokeRestApi from a local Airflow over `dag_folder`."""
        from devkit.airflow.rest_api import LocalAirflowApi

        self.airflow[name] = api = LocalAirflowApi(Path(dag_folder), on_trigger)
        return api

    def invoke_rest_api(self, name: str, body: dict) -> tuple[int, dict, str | None]:
        """(HTTP status, body, error type) of InvokeRestApi, as MWAA answers it."""
        if name not in self.environments:
            return 404, {"message": f"Environment {name} not found"}, "ResourceNotFoundException"
        api = self.airflow.get(name)
        if api is None:
            message = f"no local Airflow serves {name}: call FakeMwaa.serve_dags first"
            return 500, {"message": message}, "InternalServerException"
        code, response = api.answer(
            body["Method"], body["Path"], body.get("QueryParameters"), body.get("Body")
        )
        answer = {"RestApiStatusCode": code, "RestApiResponse": response}
        if code >= 500:
            return 400, answer, "RestApiServerException"
        if code >= 400:
            return 400, answer, "RestApiClientException"
        return 200, answer, None

    def add(self, name: str, bucket: str, status: str = "AVAILABLE", dags: str = "dags") -> None:
        """Create an environment directly (what CreateEnvironment would leave behind)."""
        self.environments[name] = {
            "Name": name,
            "Status": status,
            "Arn": f"arn:aws:airflow:us-east-1:123456789012:environment/{name}",
            "SourceBucketArn": f"arn:aws:s3:::{bucket}",
            "DagS3Path": dags,
            "AirflowVersion": "3.2.1",
            "CreatedAt": time.time(),
        }

    def get(self, name: str) -> dict | None:
        with self.lock:
            env = self.environments.get(name)
            if env is None:
                return None
            script = self.scripts.get(name)
            if script:
                env["Status"] = script.pop(0)
                if env["Status"] == "AVAILABLE":
                    env.update(self.pending.pop(name, {}))
                    env["LastUpdate"]["Status"] = "SUCCESS"
                elif env["Status"] == "UPDATE_FAILED":
                    self.pending.pop(name, None)
                    env["LastUpdate"]["Status"] = "FAILED"
                    env["LastUpdate"]["Error"] = {
                        "ErrorCode": "RequirementsInstallFailed",
                        "ErrorMessage": "pip could not resolve requirements.txt",
                    }
            return json.loads(json.dumps(env))

    def update(self, name: str, body: dict) -> tuple[int, dict]:
        with self.lock:
            env = self.environments.get(name)
            if env is None:
                return 404, {"message": f"Environment {name} not found"}
            if env["Status"] not in ("AVAILABLE", "UPDATE_FAILED"):
                return 400, {"message": f"Environment is {env['Status']}"}
            self.updates.append({"Name": name, **body})
            self.pending[name] = {k: v for k, v in body.items() if k in VERSION_FIELDS}
            self.scripts[name] = list(self.next_script.get(name, self.UPDATE_SUCCEEDS))
            env["LastUpdate"] = {"Status": "PENDING", "CreatedAt": time.time(), "Source": "SDK"}
            return 200, {"Arn": env["Arn"]}


_process_fake: FakeMwaa | None = None


def process_fake() -> FakeMwaa:
    """The FakeMwaa of this process: where the stack's MWAA::Environment is created."""
    global _process_fake
    if _process_fake is None:
        _process_fake = FakeMwaa()
    return _process_fake


def use(fake: FakeMwaa | None) -> None:
    """Make `fake` the process's (a test's own endpoint), or None for a fresh one."""
    global _process_fake
    _process_fake = fake


def _handler(fake: FakeMwaa):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def _name(self, kind: str = "environments") -> str | None:
            parts = self.path.split("?")[0].strip("/").split("/")
            return unquote(parts[1]) if len(parts) == 2 and parts[0] == kind else None

        def _send(self, code: int, body: dict, error: str | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if error:
                self.send_header("x-amzn-ErrorType", error)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            env = fake.get(self._name() or "")
            if env is None:
                self._send(404, {"message": "not found"}, "ResourceNotFoundException")
            else:
                self._send(200, {"Environment": env})

        def do_PATCH(self) -> None:  # noqa: N802
            code, body = fake.update(self._name() or "", self._body())
            error = {404: "ResourceNotFoundException", 400: "ValidationException"}.get(code)
            self._send(code, body, error)

        def do_POST(self) -> None:  # noqa: N802
            code, body, error = fake.invoke_rest_api(self._name("restapi") or "", self._body())
            self._send(code, body, error)

    return Handler


def start(fake: FakeMwaa) -> tuple[ThreadingHTTPServer, str]:
    """Serve the fake on a free localhost port; returns (server, endpoint URL)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    # Checks for shutdown every 50 ms (500 ms by default): stopping it is then quick.
    serving = {"poll_interval": 0.05}
    threading.Thread(target=server.serve_forever, kwargs=serving, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
