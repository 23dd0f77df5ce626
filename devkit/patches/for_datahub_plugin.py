"""Patches of the DataHub Airflow plugin's file emitter and listener (lineage locally).

Locally the plugin writes to a `datahub-file` connection (docs/datahub.md). Both
patches change how often, and how, identical records reach that file; what the
listener extracts and emits for each task (its inputs, outputs, facets) is the
plugin's own, as on MWAA.
"""

from __future__ import annotations

import json

from devkit.patches import Patch


def append_only_file_emitter() -> None:
    """Append each record to the file's JSON array in place, under the same file lock.

    DataHub's `SynchronizedFileEmitter` re-reads and re-parses the whole file for
    every record it appends, so each task's hooks grew slower as the run went on
    (10-20 s a task late in a two-night run). Same file, same records, O(1) each.
    """
    from datahub.emitter.synchronized_file_emitter import SynchronizedFileEmitter
    from datahub.ingestion.sink.file import _to_obj_for_file

    if getattr(SynchronizedFileEmitter.emit, "_devkit_append", False):
        return

    def emit(self, item, callback=None) -> None:
        record = json.dumps(_to_obj_for_file(item), indent=4)
        with self._lock:
            self._filename.parent.mkdir(parents=True, exist_ok=True)
            with open(self._filename, "a+b") as file:
                file.seek(0, 2)
                end = file.tell()
                file.seek(max(end - 64, 0))
                tail = file.read()
                close = tail.rfind(b"]")
                if end == 0 or close < 0 or not tail[:close].strip(b"[ \n"):
                    body = b"[\n" + record.encode() + b"\n]"  # a new (or empty) array
                    file.truncate(0)
                else:
                    body = b",\n" + record.encode() + b"\n]"
                    file.truncate(end - len(tail) + close)
                file.write(body)
        if callback:
            callback(None, "success")

    emit._devkit_append = True
    emit.original = SynchronizedFileEmitter.emit
    SynchronizedFileEmitter.emit = emit


def dataflow_once_per_dag_run() -> None:
    """Emit a DagRun's DataFlow (and its tasks' statuses) at its first task only.

    Airflow 3 workers see no DAG-run start, so the listener re-emits the DAG's
    DataFlow, and a status for each of its tasks, at every task start: 46 x 46
    records a TICKIT night, ~80 ms a task. The records are identical upserts (the
    plugin's own comment), so DataHub ends up holding the same entities.
    """
    from datahub_airflow_plugin.airflow3.datahub_listener import DataHubListener

    if getattr(DataHubListener.on_dag_start, "_devkit_once", False):
        return
    emit_dataflow = DataHubListener.on_dag_start
    emitted: dict[tuple, object] = {}  # (dag_id, run_id) -> the DAG object of that run

    def on_dag_start(self, dag_run) -> None:
        # A re-run of a night reuses its run_id but parses a new DAG object: emitted again.
        key, dag = (dag_run.dag_id, dag_run.run_id), dag_run.dag
        if dag is not None and emitted.get(key) is dag:
            return
        emit_dataflow(self, dag_run)
        emitted[key] = dag

    on_dag_start._devkit_once = True
    DataHubListener.on_dag_start = on_dag_start


PATCHES = (
    Patch("append_only_file_emitter", {"acryl-datahub": "1.7.0.14"}, append_only_file_emitter),
    Patch(
        "dataflow_once_per_dag_run",
        {"acryl-datahub-airflow-plugin": "1.7.0.14"},
        dataflow_once_per_dag_run,
    ),
)
