"""Local-only patches that let the DataHub Airflow plugin capture lineage under dag.test().

Applied by the datahub domain (`devkit/domains/datahub.py`, on provision) in the
process that runs the DAGs, like `devkit/airflow_local.py`'s other local
speed-ups. Each patch is idempotent; if a private API moves, the patch is skipped
and lineage is merely slower or thinner. None of them runs on MWAA
(docs/datahub.md, "Lineage from the DAG runs"):

1. `append_only_file_emitter`: DataHub's `SynchronizedFileEmitter` (behind the
   `datahub-file` connection) re-reads and re-parses the whole file for every
   record it appends, so each task's hooks grew slower as the run went on
   (10-20 s a task late in a two-night run). The patch appends the record to the
   same JSON array in place, under the same file lock: same file, O(1) per record.
2. `redshift_table_facets_without_poll_interval`: amazon 9.25's
   `get_facets_from_redshift_table` calls `execute_query(poll_interval=1,
   **redshift_data_api_kwargs)`; our `REDSHIFT_DATA_API` kwargs carry
   `poll_interval` too, so the COPY's and UNLOAD's `get_openlineage_facets_on_complete`
   raised `TypeError` (logged by the plugin at DEBUG only) and yielded no
   datasets. The patch drops the duplicate key. **MWAA has the same bug** until
   the transfer operators get `redshift_data_api_kwargs` without `poll_interval`.
3. `redshift_data_operator_lineage`: `RedshiftDataOperator` (the merge) has no
   OpenLineage method in amazon 9.25, so no listener can see what it reads and
   writes. Locally it gets one that parses its rendered SQL with the OpenLineage
   provider's own `SQLParser` (dialect redshift) and names tables the way the
   COPY and UNLOAD do (`redshift://<workgroup>.<region>:5439`, `<db>.<schema>.<table>`).
   On MWAA the merge's edge needs the provider to add it, or `inlets`/`outlets`.
"""

from __future__ import annotations

import json
import logging

log = logging.getLogger(__name__)


def install() -> None:
    """Apply every patch (idempotent, each one skipped if its target moved)."""
    for patch in (
        append_only_file_emitter,
        redshift_table_facets_without_poll_interval,
        redshift_data_operator_lineage,
    ):
        try:
            patch()
        except (ImportError, AttributeError) as err:  # lineage is extra, never a blocker
            log.warning("devkit.lineage: %s skipped: %s", patch.__name__, err)


def append_only_file_emitter() -> None:
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
    SynchronizedFileEmitter.emit = emit


def redshift_table_facets_without_poll_interval() -> None:
    from airflow.providers.amazon.aws.utils import openlineage

    original = openlineage.get_facets_from_redshift_table
    if getattr(original, "_devkit_fixed", False):
        return

    def get_facets_from_redshift_table(redshift_hook, table, redshift_data_api_kwargs, *a, **kw):
        kwargs = {k: v for k, v in redshift_data_api_kwargs.items() if k != "poll_interval"}
        return original(redshift_hook, table, kwargs, *a, **kw)

    get_facets_from_redshift_table._devkit_fixed = True
    openlineage.get_facets_from_redshift_table = get_facets_from_redshift_table


def redshift_data_operator_lineage() -> None:
    from airflow.providers.amazon.aws.operators.redshift_data import RedshiftDataOperator

    if hasattr(RedshiftDataOperator, "get_openlineage_facets_on_complete"):
        return  # the provider has its own (or the patch is in)

    def get_openlineage_facets_on_complete(self, task_instance):
        from airflow.providers.amazon.aws.hooks.redshift_data import RedshiftDataHook
        from airflow.providers.openlineage.extractors import OperatorLineage
        from airflow.providers.openlineage.sqlparser import SQLParser, from_table_meta

        statements = [self.sql] if isinstance(self.sql, str) else list(self.sql)
        meta = SQLParser(dialect="redshift").parse(statements)
        if not meta:
            return OperatorLineage()
        region = RedshiftDataHook(aws_conn_id=self.aws_conn_id).region_name
        identifier = self.cluster_identifier or self.workgroup_name
        namespace = f"redshift://{identifier}.{region}:5439"

        def datasets(tables):
            return [from_table_meta(t, self.database, namespace, False) for t in tables]

        return OperatorLineage(inputs=datasets(meta.in_tables), outputs=datasets(meta.out_tables))

    RedshiftDataOperator.get_openlineage_facets_on_complete = get_openlineage_facets_on_complete
