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


def test_a_spark_output_file_is_committed_through_a_temporary_path_and_renamed():
    from types import SimpleNamespace

    from devkit.emulator.emr_serverless.job_runs import LocalRun
    from devkit.iam import recorder

    job_run = SimpleNamespace(
        id="run1", execution_role_arn="arn:aws:iam::123456789012:role/local-emr-serverless-job"
    )
    run = LocalRun(job_run)
    try:
        mark = recorder.LOG.mark()
        run._record_commit("lake", "silver/synthea/patients", "silver/synthea/patients/p.parquet")
        run._record_commit("lake", "silver/synthea/patients", "silver/synthea/patients/_SUCCESS")
        got = [(a.principal, a.action, a.resource) for a in recorder.LOG.since(mark)]
    finally:
        run.cleanup()
    temporary = "arn:aws:s3:::lake/silver/synthea/patients/_temporary/0/task_run1/p.parquet"
    final = "arn:aws:s3:::lake/silver/synthea/patients/p.parquet"
    assert got == [
        ("EmrJobRole", "s3:PutObject", temporary),
        ("EmrJobRole", "s3:GetObject", temporary),  # the rename: a copy...
        ("EmrJobRole", "s3:PutObject", final),
        ("EmrJobRole", "s3:DeleteObject", temporary),  # ...and a delete
        ("EmrJobRole", "s3:PutObject", "arn:aws:s3:::lake/silver/synthea/patients/_SUCCESS"),
    ]
