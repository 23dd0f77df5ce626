"""The local-only lineage patches (devkit/lineage.py) keep what the DataHub plugin emits."""

from __future__ import annotations

from types import SimpleNamespace

from devkit import lineage


def test_the_dataflow_is_emitted_once_per_dag_run_and_again_for_a_re_run(monkeypatch):
    from datahub_airflow_plugin.airflow3.datahub_listener import DataHubListener

    emitted = []
    monkeypatch.setattr(
        DataHubListener, "on_dag_start", lambda self, run: emitted.append(run.run_id)
    )
    lineage.dataflow_once_per_dag_run()
    listener = object.__new__(DataHubListener)  # the hook's state is not used here

    def task_start(dag, run_id):
        listener.on_dag_start(SimpleNamespace(dag_id="tickit__load", run_id=run_id, dag=dag))

    night, same_night_re_run = object(), object()  # load_dag parses a new DAG per run
    for _ in range(3):
        task_start(night, "manual__2008-01-02")
    task_start(night, "manual__2008-01-03")
    task_start(same_night_re_run, "manual__2008-01-02")
    assert emitted == ["manual__2008-01-02", "manual__2008-01-03", "manual__2008-01-02"]
