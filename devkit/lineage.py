"""Local-only patches that let the DataHub Airflow plugin capture lineage under dag.test().

Applied by the lineage domain (`devkit/domains/lineage.py`, on provision) in the
process that runs the DAGs, like `devkit/airflow_local.py`'s other local
speed-ups. Each patch is idempotent; if a private API moves, the patch is skipped
and lineage is merely slower or thinner. None of them runs on MWAA
(docs/datahub.md, "Lineage from the DAG runs"):

1. `append_only_file_emitter`: DataHub's `SynchronizedFileEmitter` (behind the
   `datahub-file` connection) re-reads and re-parses the whole file for every
   record it appends, so each task's hooks grew slower as the run went on
   (10-20 s a task late in a two-night run). The patch appends the record to the
   same JSON array in place, under the same file lock: same file, O(1) per record.
2. `redshift_data_operator_lineage`: `RedshiftDataOperator` (the merge) has no
   OpenLineage method in amazon 9.25, so no listener can see what it reads and
   writes. Locally it gets one that parses its rendered SQL with the OpenLineage
   provider's own `SQLParser` (dialect redshift) and names tables the way the
   COPY and UNLOAD do (`redshift://<workgroup>.<region>:5439`, `<db>.<schema>.<table>`).
   On MWAA the merge's edge needs the provider to add it, or `inlets`/`outlets`.
3. `athena_table_metadata_from_glue`: `AthenaOperator`'s lineage calls Athena's
   GetTableMetadata, which moto does not implement: every call came back as a
   500 that botocore retried for ~7 s before the dataset was dropped. Athena
   answers that call from the Glue Data Catalog, so locally the same dataset is
   built from Glue's GetTable (the emulation's catalog).
4. `dataflow_once_per_dag_run`: Airflow 3 workers see no DAG-run start, so the
   listener re-emits the DAG's DataFlow, and a status for each of its tasks, at
   every task start: 46 x 46 records a TICKIT night, ~80 ms a task. Identical
   records that DataHub upserts (the plugin's own comment), so locally each DagRun
   emits them at its first task only.
"""

from __future__ import annotations

import json
import logging
import re

log = logging.getLogger(__name__)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_DDL = re.compile(r"\s*(create|alter|drop|grant|comment)\b(?!.*\bselect\b)", re.I | re.S)


def install() -> None:
    """Apply every patch (idempotent, each one skipped if its target moved)."""
    for patch in (
        append_only_file_emitter,
        redshift_data_operator_lineage,
        athena_table_metadata_from_glue,
        dataflow_once_per_dag_run,
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


def redshift_data_operator_lineage() -> None:
    from airflow.providers.amazon.aws.operators.redshift_data import RedshiftDataOperator

    if hasattr(RedshiftDataOperator, "get_openlineage_facets_on_complete"):
        return  # the provider has its own (or the patch is in)

    def get_openlineage_facets_on_complete(self, task_instance):
        from airflow.providers.amazon.aws.hooks.redshift_data import RedshiftDataHook
        from airflow.providers.openlineage.extractors import OperatorLineage
        from airflow.providers.openlineage.sqlparser import SQLParser, from_table_meta

        statements = [self.sql] if isinstance(self.sql, str) else list(self.sql)
        # DDL moves no data: `CREATE TABLE stg (LIKE target)` is not lineage.
        statements = [s for s in statements if not _DDL.match(_COMMENTS.sub("", s))]
        if not statements:
            return OperatorLineage()
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


def athena_table_metadata_from_glue() -> None:
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
    from airflow.providers.amazon.aws.operators.athena import AthenaOperator

    if getattr(AthenaOperator.get_openlineage_dataset, "_devkit_glue", False):
        return

    def get_openlineage_dataset(self, database, table):
        from urllib.parse import urlparse

        from airflow.providers.common.compat.openlineage.facet import (
            Dataset,
            Identifier,
            SchemaDatasetFacet,
            SchemaDatasetFacetFields,
            SymlinksDatasetFacet,
        )

        try:
            glue = AwsBaseHook(aws_conn_id=self.aws_conn_id, client_type="glue").get_conn()
            found = glue.get_table(DatabaseName=database, Name=table)["Table"]
        except Exception as err:  # as the provider does: no metadata, no dataset
            self.log.error("Cannot retrieve table metadata from the Glue catalog. %s", err)
            return None
        storage = found.get("StorageDescriptor", {})
        location = urlparse(storage.get("Location", ""))
        columns = storage.get("Columns", []) + found.get("PartitionKeys", [])
        facets = {
            "symlinks": SymlinksDatasetFacet(
                identifiers=[
                    Identifier(
                        namespace=f"{location.scheme}://{location.netloc}",
                        name=str(location.path),
                        type="TABLE",
                    )
                ]
            )
        }
        if columns:
            facets["schema"] = SchemaDatasetFacet(
                fields=[
                    SchemaDatasetFacetFields(
                        name=c["Name"], type=c["Type"], description=c.get("Comment")
                    )
                    for c in columns
                ]
            )
        return Dataset(
            namespace=f"awsathena://athena.{self.hook.region_name}.amazonaws.com",
            name=".".join(filter(None, (self.catalog, database, table))),
            facets=facets,
        )

    get_openlineage_dataset._devkit_glue = True
    AthenaOperator.get_openlineage_dataset = get_openlineage_dataset


def dataflow_once_per_dag_run() -> None:
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
