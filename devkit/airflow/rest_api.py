"""The Airflow REST API calls MWAA's InvokeRestApi forwards, answered by local Airflow.

MWAA passes `Path` (e.g. `/dags`) to its environment's Airflow REST API (v2 on
Airflow 3) and returns the status code and JSON body. Here a DagBag over a DAGs
folder (the one the deploy wrote, or the repository's) answers the calls the
deploy and `deploy up` make, in the API's shapes:

- GET /dags, GET /dags/{dag_id}: the DAGs that parsed, with `is_paused`,
  `last_parsed_time` and `timetable_summary`;
- GET /importErrors: each file that failed to parse, with its traceback;
- PATCH /dags/{dag_id} {"is_paused": bool};
- POST /dags/{dag_id}/dagRuns {"logical_date": ..., "data_interval_start"/"_end": ...,
  "conf": {...}}: queued (`runs`), and handed to `on_trigger`; 409 for a logical date
  that has a run. The local run executes the queued runs (devkit/run/local_up.py).

New DAGs start paused, as with Airflow's (and MWAA's) `dags_are_paused_at_creation`.
The folder is parsed again whenever a file in it changed.
"""

from __future__ import annotations

import re
import threading
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

Answer = tuple[int, dict]
_DAG = re.compile(r"^/dags/(?P<dag_id>[^/]+)$")
_RUNS = re.compile(r"^/dags/(?P<dag_id>[^/]+)/dagRuns$")


def _not_found(what: str) -> Answer:
    return 404, {"detail": f"{what} was not found"}


def _summary(timetable) -> str | None:
    """What Airflow stores as `timetable_summary` ("0 0 * * *", "Asset"; None unscheduled)."""
    from airflow.serialization.encoders import coerce_to_core_timetable

    summary = coerce_to_core_timetable(timetable).summary
    return None if summary in (None, "None") else str(summary)


@dataclass
class LocalAirflowApi:
    """InvokeRestApi's answers from a DAGs folder; paused states and runs kept here."""

    dag_folder: Path
    on_trigger: Callable[[str, dict], None] | None = None
    paused: dict[str, bool] = field(default_factory=dict)
    runs: list[dict] = field(default_factory=list)
    _parsed: tuple[tuple, Any] | None = None
    parsed_at: str | None = None  # when the folder was last parsed: `last_parsed_time`
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str, path: str, query: dict | None, body: dict | None) -> Answer:
        """(status code, JSON body) of one REST call."""
        path = "/" + path.strip("/")
        try:
            return self._route(method, path, query, body)
        except Exception:  # Airflow's API answers 500; the caller sees the traceback
            return 500, {"detail": traceback.format_exc(limit=5)}

    def _route(self, method: str, path: str, query: dict | None, body: dict | None) -> Answer:
        with self._lock:
            bag = self._bag()
            if (method, path) == ("GET", "/dags"):
                return 200, self._dags(bag, query or {})
            if (method, path) == ("GET", "/importErrors"):
                return 200, self._import_errors(bag)
            if match := _DAG.match(path):
                return self._one_dag(bag, method, match["dag_id"], body or {})
            if (match := _RUNS.match(path)) and method == "POST":
                return self._trigger(bag, match["dag_id"], body or {})
        return 404, {"detail": f"no route {method} {path} in the local Airflow REST API"}

    def _bag(self):
        """The folder's DagBag, parsed again when a file changed (size or mtime)."""
        from airflow.dag_processing.dagbag import DagBag

        files = sorted(p for p in self.dag_folder.rglob("*.py") if p.is_file())
        fingerprint = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
        if self._parsed is None or self._parsed[0] != fingerprint:
            bag = DagBag(dag_folder=str(self.dag_folder), include_examples=False)
            self._parsed = (fingerprint, bag)
            self.parsed_at = datetime.now(timezone.utc).isoformat()
        return self._parsed[1]

    def _describe(self, dag) -> dict:
        return {
            "dag_id": dag.dag_id,
            "dag_display_name": dag.dag_display_name,
            "is_paused": self.paused.setdefault(dag.dag_id, True),
            "fileloc": dag.fileloc,
            "relative_fileloc": str(Path(dag.fileloc).relative_to(self.dag_folder)),
            "tags": [{"name": tag, "dag_id": dag.dag_id} for tag in sorted(dag.tags)],
            "last_parsed_time": self.parsed_at,
            "timetable_summary": _summary(dag.timetable),
        }

    def _dags(self, bag, query: dict) -> dict:
        dags = [self._describe(dag) for _, dag in sorted(bag.dags.items())]
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 50))
        return {"dags": dags[offset : offset + limit], "total_entries": len(dags)}

    def _import_errors(self, bag) -> dict:
        errors = [
            {
                "import_error_id": number,
                "timestamp": datetime.now(timezone.utc).isoformat(),
                "filename": str(Path(path).relative_to(self.dag_folder)),
                "bundle_name": "dags-folder",
                "stack_trace": trace,
            }
            for number, (path, trace) in enumerate(sorted(bag.import_errors.items()), 1)
        ]
        return {"import_errors": errors, "total_entries": len(errors)}

    def _one_dag(self, bag, method: str, dag_id: str, body: dict) -> Answer:
        dag = bag.dags.get(dag_id)
        if dag is None:
            return _not_found(f"Dag with id {dag_id}")
        if method == "PATCH":
            if not isinstance(body.get("is_paused"), bool):
                return 422, {"detail": "PATCH /dags/{dag_id} takes {'is_paused': true|false}"}
            self.paused[dag_id] = body["is_paused"]
        elif method != "GET":
            return 405, {"detail": "Method Not Allowed"}
        return 200, self._describe(dag)

    def _trigger(self, bag, dag_id: str, body: dict) -> Answer:
        if dag_id not in bag.dags:
            return _not_found(f"DAG with dag_id: '{dag_id}'")
        logical_date = body.get("logical_date")
        if logical_date and any(
            r["dag_id"] == dag_id and r["logical_date"] == logical_date for r in self.runs
        ):  # Airflow's unique (dag_id, logical_date)
            return 409, {"detail": f"DAG Run of {dag_id} at {logical_date} already exists"}
        start, end = body.get("data_interval_start"), body.get("data_interval_end")
        if (start is None) != (end is None):  # Airflow's TriggerDAGRunPostBody check
            return 422, {"detail": "give both data_interval_start and data_interval_end, or none"}
        run = {
            "dag_run_id": body.get("dag_run_id") or f"manual__{logical_date or uuid.uuid4()}",
            "dag_id": dag_id,
            "logical_date": logical_date,
            "data_interval_start": start,  # None: Airflow infers the one ending at logical_date
            "data_interval_end": end,
            "conf": body.get("conf") or {},
            "state": "queued",
            "run_type": "manual",
        }
        self.runs.append(run)
        if self.on_trigger is not None:
            try:
                self.on_trigger(dag_id, run)
            except Exception:  # the API answers 500, as Airflow's would
                return 500, {"detail": traceback.format_exc(limit=3)}
        return 200, run
