"""The DataHub plugin patches: same records in the file, the DataFlow once per DagRun."""

from __future__ import annotations

import json
from types import SimpleNamespace

from devkit.patches import for_datahub_plugin


def test_the_dataflow_is_emitted_once_per_dag_run_and_again_for_a_re_run(monkeypatch):
    from datahub_airflow_plugin.airflow3.datahub_listener import DataHubListener

    emitted = []
    monkeypatch.setattr(
        DataHubListener, "on_dag_start", lambda self, run: emitted.append(run.run_id)
    )
    for_datahub_plugin.dataflow_once_per_dag_run()
    listener = object.__new__(DataHubListener)  # the hook's state is not used here

    def task_start(dag, run_id):
        listener.on_dag_start(SimpleNamespace(dag_id="tickit__load", run_id=run_id, dag=dag))

    night, same_night_re_run = object(), object()  # load_dag parses a new DAG per run
    for _ in range(3):
        task_start(night, "manual__2008-01-02")
    task_start(night, "manual__2008-01-03")
    task_start(same_night_re_run, "manual__2008-01-02")
    assert emitted == ["manual__2008-01-02", "manual__2008-01-03", "manual__2008-01-02"]


def test_the_appending_emitter_writes_the_json_array_the_plugin_writes(tmp_path, monkeypatch):
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.emitter.synchronized_file_emitter import SynchronizedFileEmitter
    from datahub.metadata.schema_classes import StatusClass

    records = [
        MetadataChangeProposalWrapper(
            entityUrn=f"urn:li:dataset:(urn:li:dataPlatform:s3,lake/{n},PROD)",
            aspect=StatusClass(removed=False),
        )
        for n in range(3)
    ]
    plugin_file, patched_file = tmp_path / "plugin.json", tmp_path / "patched.json"
    plugin_emit = getattr(SynchronizedFileEmitter.emit, "original", SynchronizedFileEmitter.emit)
    monkeypatch.setattr(SynchronizedFileEmitter, "emit", plugin_emit)  # unpatched, restored after
    for record in records:
        SynchronizedFileEmitter(str(plugin_file)).emit(record)
    for_datahub_plugin.append_only_file_emitter()
    assert SynchronizedFileEmitter.emit is not plugin_emit
    for record in records:
        SynchronizedFileEmitter(str(patched_file)).emit(record)
    assert json.loads(patched_file.read_text()) == json.loads(plugin_file.read_text())
    assert len(json.loads(patched_file.read_text())) == 3
