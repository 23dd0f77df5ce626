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


def parse_each_sql_once() -> None:
    """Parse a statement's lineage once per process, not at each task hook.

    The plugin parses a SQL operator's statement (sqlglot) at the task's start and
    again at its end, ~25 ms each, and a new night parses the same checks again.
    DataHub's own cache never hits: it is keyed on the schema resolver, which is
    new per call. Without a DataHub graph (the `datahub-file` emitter) that
    resolver knows no schemas, so the result depends only on the arguments, which
    are the key; each caller gets its own copy. A failed parse is not kept (it is
    parsed, and warned about, again); with a graph, nothing changes.
    """
    from datahub_airflow_plugin import _sql_parsing_common as common

    original = common.create_lineage_sql_parsed_result
    if getattr(original, "_devkit_once", False):
        return
    parsed: dict = {}

    def create_lineage_sql_parsed_result(*args, graph=None, **kwargs):
        try:
            key = None if args or graph is not None else frozenset(kwargs.items())
        except TypeError:  # an unhashable argument
            key = None
        if key is None:
            return original(*args, graph=graph, **kwargs)
        if key not in parsed:
            result = original(**kwargs)
            if result.debug_info.error is not None:
                return result
            parsed[key] = result
        return parsed[key].model_copy(deep=True)

    create_lineage_sql_parsed_result._devkit_once = True
    common.create_lineage_sql_parsed_result = create_lineage_sql_parsed_result


PATCHES = (
    Patch("append_only_file_emitter", {"acryl-datahub": "1.7.0.14"}, append_only_file_emitter),
    Patch(
        "dataflow_once_per_dag_run",
        {"acryl-datahub-airflow-plugin": "1.7.0.14"},
        dataflow_once_per_dag_run,
    ),
    Patch(
        "parse_each_sql_once",
        {"acryl-datahub": "1.7.0.14", "acryl-datahub-airflow-plugin": "1.7.0.14"},
        parse_each_sql_once,
    ),
)
