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


def _counting_parser(monkeypatch, parse):
    """The plugin's parser call replaced by `parse`, counting its calls, then patched."""
    from datahub_airflow_plugin import _sql_parsing_common as common

    calls = []

    def counted(*args, **kwargs):
        calls.append(kwargs.get("query"))
        return parse(*args, **kwargs)

    monkeypatch.setattr(common, "create_lineage_sql_parsed_result", counted)
    for_datahub_plugin.parse_each_sql_once()
    return common.parse_sql_with_datahub, calls


def test_each_statement_is_parsed_once_and_each_caller_gets_the_plugins_result(monkeypatch):
    from datahub.sql_parsing.sqlglot_lineage import create_lineage_sql_parsed_result as real

    parse, calls = _counting_parser(monkeypatch, real)
    sql = "INSERT INTO tickit.category SELECT * FROM tickit.stg_category WHERE catid > 0"
    args = dict(default_database="dev", platform="redshift", env="PROD", default_schema="tickit")
    unpatched = real(
        query=sql, default_db="dev", platform="redshift", platform_instance=None, env="PROD",
        default_schema="tickit",
    )  # fmt: skip
    first = parse(sql=sql, graph=None, enable_multi_statement=False, **args)
    first.in_tables.append("urn:changed-by-a-caller")
    second = parse(sql=sql, graph=None, enable_multi_statement=False, **args)
    assert calls == [sql]
    assert second.model_dump() == unpatched.model_dump()
    assert second.out_tables == [
        "urn:li:dataset:(urn:li:dataPlatform:redshift,dev.tickit.category,PROD)"
    ]
    parse(sql=sql, graph=None, enable_multi_statement=False, **{**args, "env": "DEV"})
    assert calls == [sql, sql]  # another argument, another parse


def test_a_failed_parse_and_a_parse_with_a_graph_are_not_kept(monkeypatch):
    from datahub.sql_parsing.sqlglot_lineage import create_lineage_sql_parsed_result as real

    parse, calls = _counting_parser(monkeypatch, real)
    args = dict(default_database="dev", platform="redshift", env="PROD", default_schema="t")
    for _ in range(2):
        failed = parse(sql="SELEC FROM (", graph=None, enable_multi_statement=False, **args)
        assert failed.debug_info.error is not None
    assert len(calls) == 2

    graph = object()
    online = SimpleNamespace(debug_info=SimpleNamespace(error=None))  # a graph's own result
    parse, calls = _counting_parser(
        monkeypatch, lambda **kwargs: online if kwargs["graph"] is graph else None
    )
    for _ in range(2):
        assert parse(sql="SELECT 1", graph=graph, enable_multi_statement=False, **args) is online
    assert len(calls) == 2
