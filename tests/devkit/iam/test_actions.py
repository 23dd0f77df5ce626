"""devkit/iam/actions.py: API operations become the IAM actions and ARNs AWS checks."""

from __future__ import annotations

import pytest

from devkit.iam.actions import UnmappedOperation, Where, iam_requests

WHERE = Where("us-east-1", "123456789012")


def pairs(service, operation, params, where=WHERE):
    return [
        (r.action, r.resource, dict(r.context))
        for r in iam_requests(service, operation, params, where)
    ]


def test_list_objects_v2_is_list_bucket_on_the_bucket_with_the_prefix_as_condition_key():
    assert pairs("s3", "ListObjectsV2", {"Bucket": "lake", "Prefix": "silver/"}) == [
        ("s3:ListBucket", "arn:aws:s3:::lake", {"s3:prefix": "silver/"})
    ]
    # No Prefix sent: the key is absent (a policy's s3:prefix condition then fails).
    assert pairs("s3", "ListObjectsV2", {"Bucket": "lake"}) == [
        ("s3:ListBucket", "arn:aws:s3:::lake", {})
    ]


def test_head_object_needs_get_object_and_a_version_needs_get_object_version():
    assert pairs("s3", "HeadObject", {"Bucket": "b", "Key": "k/1"}) == [
        ("s3:GetObject", "arn:aws:s3:::b/k/1", {})
    ]
    assert pairs("s3", "GetObject", {"Bucket": "b", "Key": "k", "VersionId": "v1"}) == [
        ("s3:GetObjectVersion", "arn:aws:s3:::b/k", {})
    ]


def test_copy_object_reads_the_source_and_writes_the_target():
    params = {"Bucket": "lake", "Key": "bronze/a b.csv", "CopySource": "landing/in/a%20b.csv"}
    assert pairs("s3", "CopyObject", params) == [
        ("s3:GetObject", "arn:aws:s3:::landing/in/a b.csv", {}),
        ("s3:PutObject", "arn:aws:s3:::lake/bronze/a b.csv", {}),
    ]
    versioned = {**params, "CopySource": "/landing/in/x.csv?versionId=3"}
    assert pairs("s3", "CopyObject", versioned)[0] == (
        "s3:GetObjectVersion",
        "arn:aws:s3:::landing/in/x.csv",
        {},
    )


def test_delete_objects_is_one_delete_object_per_key():
    params = {"Bucket": "b", "Delete": {"Objects": [{"Key": "x/1"}, {"Key": "x/2"}]}}
    assert pairs("s3", "DeleteObjects", params) == [
        ("s3:DeleteObject", "arn:aws:s3:::b/x/1", {}),
        ("s3:DeleteObject", "arn:aws:s3:::b/x/2", {}),
    ]


def test_glue_table_operations_check_catalog_database_and_table():
    assert [r for _, r, _ in pairs("glue", "GetTable", {"DatabaseName": "db", "Name": "t"})] == [
        "arn:aws:glue:us-east-1:123456789012:catalog",
        "arn:aws:glue:us-east-1:123456789012:database/db",
        "arn:aws:glue:us-east-1:123456789012:table/db/t",
    ]
    created = pairs("glue", "CreateTable", {"DatabaseName": "db", "TableInput": {"Name": "n"}})
    assert created[-1] == ("glue:CreateTable", "arn:aws:glue:us-east-1:123456789012:table/db/n", {})


def test_creating_or_updating_a_crawler_passes_its_role_to_glue():
    params = {"Name": "data_lake_bronze", "Role": "local-glue-crawler"}
    assert pairs("glue", "UpdateCrawler", params) == [
        ("glue:UpdateCrawler", "arn:aws:glue:us-east-1:123456789012:crawler/data_lake_bronze", {}),
        (
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/local-glue-crawler",
            {"iam:PassedToService": "glue.amazonaws.com"},
        ),
    ]


def test_start_job_run_is_on_the_application_and_passes_the_execution_role():
    params = {"applicationId": "app1", "executionRoleArn": "arn:aws:iam::123456789012:role/job"}
    assert pairs("emr-serverless", "StartJobRun", params) == [
        (
            "emr-serverless:StartJobRun",
            "arn:aws:emr-serverless:us-east-1:123456789012:/applications/app1",
            {},
        ),
        (
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/job",
            {"iam:PassedToService": "emr-serverless.amazonaws.com"},
        ),
    ]
    got = pairs("emr-serverless", "GetJobRun", {"applicationId": "app1", "jobRunId": "r1"})
    assert got[0][1].endswith(":/applications/app1/jobruns/r1")


def test_run_task_is_on_the_task_definition_revision_and_passes_both_task_roles():
    definition = {
        "arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/datahub-ingestion:3",
        "taskRoleArn": "arn:aws:iam::123456789012:role/task",
        "executionRoleArn": "arn:aws:iam::123456789012:role/execution",
    }
    where = Where("us-east-1", "123456789012", lambda service, what, params, region: definition)
    got = pairs(
        "ecs", "RunTask", {"cluster": "datahub", "taskDefinition": "datahub-ingestion"}, where
    )
    cluster = {"ecs:cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/datahub"}
    passed = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    assert got == [
        ("ecs:RunTask", definition["arn"], cluster),
        ("iam:PassRole", definition["taskRoleArn"], passed),
        ("iam:PassRole", definition["executionRoleArn"], passed),
    ]


def test_data_api_calls_need_the_workgroup_and_its_credentials():
    got = pairs("redshift-data", "ExecuteStatement", {"WorkgroupName": "wg", "Sql": "select 1"})
    arn = "arn:aws:redshift-serverless:us-east-1:123456789012:workgroup/wg"
    assert got == [
        ("redshift-data:ExecuteStatement", arn, {}),
        ("redshift-serverless:GetCredentials", arn, {}),
    ]
    owner = Where("us-east-1", "123456789012", userid="AROAX:local")
    assert pairs("redshift-data", "DescribeStatement", {"Id": "1"}, owner) == [
        (
            "redshift-data:DescribeStatement",
            "*",
            {"redshift-data:statement-owner-iam-userid": "AROAX:local"},
        )
    ]


def test_an_operation_missing_from_the_table_is_an_error_naming_it():
    with pytest.raises(
        UnmappedOperation, match="s3 PutBucketPolicy is not in devkit/iam/actions.py"
    ):
        iam_requests("s3", "PutBucketPolicy", {"Bucket": "b"}, WHERE)
    with pytest.raises(UnmappedOperation, match="parameter 'Key' missing"):
        iam_requests("s3", "GetObject", {"Bucket": "b"}, WHERE)
