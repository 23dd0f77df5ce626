"""The merge's lineage: what MWAA's OpenLineage and DataHub listeners get from the operator."""

from __future__ import annotations

import json

from lakehouse.redshift import RedshiftMergeOperator

CONN = {"conn_type": "aws", "extra": {"region_name": "eu-west-1"}}


def test_the_merge_reads_staging_and_writes_the_target_named_like_the_copy(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_LINEAGE_AWS", json.dumps(CONN))
    merge = RedshiftMergeOperator(
        task_id="merge_into_target",
        source_table="tickit.stg_sales",
        target_table="tickit.sales",
        sql=["DELETE FROM tickit.sales USING tickit.stg_sales", "INSERT INTO tickit.sales"],
        database="dev",
        workgroup_name="lakehouse",
        aws_conn_id="lineage_aws",
    )
    lineage = merge.get_openlineage_facets_on_complete(task_instance=None)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [
        ("redshift://lakehouse.eu-west-1:5439", "dev.tickit.stg_sales")
    ]
    assert [(d.namespace, d.name) for d in lineage.outputs] == [
        ("redshift://lakehouse.eu-west-1:5439", "dev.tickit.sales")
    ]


def test_only_the_merge_operator_has_the_method_no_local_patch_adds_it():
    from airflow.providers.amazon.aws.operators.redshift_data import RedshiftDataOperator

    from devkit import patches

    patches.apply_all()
    assert not hasattr(RedshiftDataOperator, "get_openlineage_facets_on_complete")
    assert "get_openlineage_facets_on_complete" in vars(RedshiftMergeOperator)
