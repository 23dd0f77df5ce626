"""The merge's lineage: what MWAA's OpenLineage and DataHub listeners get from the operator."""

from __future__ import annotations

import json

import pytest
from airflow.sdk import DAG

from lakehouse.redshift import RedshiftMergeOperator
from lakehouse.tickit import TABLES_BY_NAME

CONN = {"conn_type": "aws", "extra": {"region_name": "eu-west-1"}}


def test_the_merge_reads_staging_and_writes_the_target_named_like_the_copy(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_LINEAGE_AWS", json.dumps(CONN))
    merge = RedshiftMergeOperator(
        task_id="merge_into_target",
        params=TABLES_BY_NAME["sales"].sql_params(),  # what its SQL and its lineage name
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


def test_a_merge_without_its_table_params_names_the_task_and_the_fix(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_LINEAGE_AWS", json.dumps(CONN))
    with DAG(dag_id="tickit__redshift_load", schedule=None):
        merge = RedshiftMergeOperator(
            task_id="merge_into_target",
            params={"schema": "tickit"},
            sql="DELETE FROM tickit.sales",
            database="dev",
            workgroup_name="lakehouse",
            aws_conn_id="lineage_aws",
        )
    with pytest.raises(ValueError) as error:
        merge.get_openlineage_facets_on_complete(task_instance=None)
    assert "tickit__redshift_load.merge_into_target" in str(error.value)
    assert "['staging_table', 'table'] are missing" in str(error.value)
    assert "params=ParamsDict(table.sql_params())" in str(error.value)


def test_only_the_merge_operator_has_the_method_no_local_patch_adds_it():
    from airflow.providers.amazon.aws.operators.redshift_data import RedshiftDataOperator

    from devkit import patches

    patches.apply_all()
    assert not hasattr(RedshiftDataOperator, "get_openlineage_facets_on_complete")
    assert "get_openlineage_facets_on_complete" in vars(RedshiftMergeOperator)
