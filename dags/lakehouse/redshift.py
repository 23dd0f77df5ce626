"""Redshift operators of the lakehouse: the merge that reports its own lineage.

Nothing here does I/O at import; lineage is computed after the task ran.
"""

from __future__ import annotations

from airflow.providers.amazon.aws.operators.redshift_data import RedshiftDataOperator

REDSHIFT_PORT = "5439"  # what the provider's COPY/UNLOAD lineage puts in the namespace


class RedshiftMergeOperator(RedshiftDataOperator):
    """RedshiftDataOperator for a merge, with its staging -> target lineage.

    The amazon provider's RedshiftDataOperator (9.25) has no OpenLineage method, so
    neither the OpenLineage provider nor DataHub's plugin can tell what a merge read
    and wrote: the load's lineage stopped at the staging tables. The merge knows
    both tables, so it names them, the way the provider's COPY and UNLOAD name
    theirs (`redshift://<workgroup>.<region>:5439`, `<database>.<schema>.<table>`),
    and the edges join up. No AWS call: the region comes from the connection.
    """

    def __init__(self, *, source_table: str, target_table: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.source_table = source_table  # <schema>.<table>
        self.target_table = target_table

    def get_openlineage_facets_on_complete(self, task_instance):
        from airflow.providers.amazon.aws.hooks.redshift_data import RedshiftDataHook
        from airflow.providers.common.compat.openlineage.facet import Dataset
        from airflow.providers.openlineage.extractors import OperatorLineage

        region = RedshiftDataHook(aws_conn_id=self.aws_conn_id).region_name
        identifier = self.cluster_identifier or self.workgroup_name
        namespace = f"redshift://{identifier}.{region}:{REDSHIFT_PORT}"

        def dataset(table: str) -> Dataset:
            return Dataset(namespace=namespace, name=f"{self.database}.{table}")

        return OperatorLineage(
            inputs=[dataset(self.source_table)], outputs=[dataset(self.target_table)]
        )
