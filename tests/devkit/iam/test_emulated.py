"""devkit/iam/emulated.py: the role an in-process emulation acts as."""

from __future__ import annotations

from devkit.iam.emulated import NO_ROLE, redshift_principal, role_principal

ROLE = "arn:aws:iam::123456789012:role/local-redshift-s3"


def test_copy_and_unload_run_as_the_role_their_sql_names():
    provider_copy = (
        "COPY tickit.stage_sales FROM 's3://landing/tickit/sales/' "
        f"credentials 'aws_iam_role={ROLE}' DELIMITER '|' GZIP;"
    )
    unload = f"UNLOAD ($$select 1$$) TO 's3://lake/gold/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET"
    assert redshift_principal(provider_copy) == "RedshiftCopyUnloadRole"
    assert redshift_principal(unload) == "RedshiftCopyUnloadRole"
    assert redshift_principal("COPY t FROM 's3://b/k' ACCESS_KEY_ID 'x'") == NO_ROLE


def test_roles_map_to_their_logical_ids_and_unknown_roles_stay_arns():
    assert role_principal("local-glue-crawler") == "GlueCrawlerRole"
    assert role_principal("arn:aws:iam::123456789012:role/local-emr-serverless-job") == "EmrJobRole"
    unknown = "arn:aws:iam::123456789012:role/someone-else"
    assert role_principal(unknown) == unknown  # no policies: everything it does is denied
