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
        ("s3:GetObjectVersion", "arn:aws:s3:::b/k", {"s3:versionid": "v1"})
    ]


def test_get_object_attributes_needs_get_object_too_and_a_version_the_version_actions():
    assert pairs("s3", "GetObjectAttributes", {"Bucket": "b", "Key": "k"}) == [
        ("s3:GetObjectAttributes", "arn:aws:s3:::b/k", {}),
        ("s3:GetObject", "arn:aws:s3:::b/k", {}),
    ]
    versioned = {"Bucket": "b", "Key": "k", "VersionId": "v"}
    assert pairs("s3", "GetObjectAttributes", versioned) == [
        ("s3:GetObjectVersionAttributes", "arn:aws:s3:::b/k", {"s3:versionid": "v"}),
        ("s3:GetObjectVersion", "arn:aws:s3:::b/k", {"s3:versionid": "v"}),
    ]


def test_condition_keys_aws_sets_from_the_request_are_set():
    listed = {"Bucket": "b", "Prefix": "p/", "Delimiter": "/", "MaxKeys": 10}
    assert pairs("s3", "ListObjectsV2", listed)[0][2] == {
        "s3:prefix": "p/",
        "s3:delimiter": "/",
        "s3:max-keys": "10",
    }
    copied = {"Bucket": "t", "Key": "k", "CopySource": "s/a", "ServerSideEncryption": "AES256"}
    assert pairs("s3", "CopyObject", copied)[1][2] == {
        "s3:x-amz-copy-source": "s/a",
        "s3:x-amz-server-side-encryption": "AES256",
    }
    name = "airflow/variables/x"
    named = pairs("secretsmanager", "GetSecretValue", {"SecretId": name})
    assert named[0][2] == {"secretsmanager:SecretId": name}  # pragma: allowlist secret
    change_set = {
        "StackName": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "ChangeSetName": "c1",
        "TemplateURL": "https://b.s3.amazonaws.com/t.yaml",
        "RoleARN": "arn:aws:iam::123456789012:role/cfn",
    }
    assert pairs("cloudformation", "CreateChangeSet", change_set)[0][2] == {
        "cloudformation:ChangeSetName": "c1",
        "cloudformation:TemplateUrl": "https://b.s3.amazonaws.com/t.yaml",
        "cloudformation:RoleArn": "arn:aws:iam::123456789012:role/cfn",
    }


def test_copy_object_reads_the_source_and_writes_the_target():
    params = {"Bucket": "lake", "Key": "bronze/a b.csv", "CopySource": "landing/in/a%20b.csv"}
    assert pairs("s3", "CopyObject", params) == [
        ("s3:GetObject", "arn:aws:s3:::landing/in/a b.csv", {}),
        (
            "s3:PutObject",
            "arn:aws:s3:::lake/bronze/a b.csv",
            {"s3:x-amz-copy-source": "landing/in/a b.csv"},
        ),
    ]
    versioned = {**params, "CopySource": "/landing/in/x.csv?versionId=3"}
    assert pairs("s3", "CopyObject", versioned)[0] == (
        "s3:GetObjectVersion",
        "arn:aws:s3:::landing/in/x.csv",
        {"s3:versionid": "3"},
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


def test_data_api_calls_need_the_workgroup_by_its_id_and_its_credentials():
    workgroup_id = "6f1c2a9e-0000-4000-8000-00000000abcd"
    ids = {("redshift-serverless", "workgroup-id", "wg"): workgroup_id}
    where = Where(
        "us-east-1", "123456789012", lambda s, what, p, r: ids[(s, what, p["workgroupName"])]
    )
    params = {"WorkgroupName": "wg", "Sql": "select 1"}
    got = pairs("redshift-data", "ExecuteStatement", params, where)
    arn = f"arn:aws:redshift-serverless:us-east-1:123456789012:workgroup/{workgroup_id}"
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


def test_a_workgroup_the_emulation_does_not_know_is_an_error_naming_it():
    with pytest.raises(UnmappedOperation, match="workgroup 'wg': no workgroup of that name"):
        iam_requests("redshift-data", "ExecuteStatement", {"WorkgroupName": "wg"}, WHERE)


def test_an_operation_outside_the_table_is_derived_from_aws_authorization_data():
    assert pairs("glue", "GetJob", {"JobName": "j"}) == [
        ("glue:GetJob", "arn:aws:glue:us-east-1:123456789012:job/j", {})
    ]
    assert pairs("s3", "PutBucketPolicy", {"Bucket": "b", "Policy": "{}"}) == [
        ("s3:PutBucketPolicy", "arn:aws:s3:::b", {})
    ]
    assert pairs("glue", "ListCrawlers", {}) == [("glue:ListCrawlers", "*", {})]


def test_an_operation_neither_mapped_nor_derivable_names_itself_and_the_line_to_add():
    with pytest.raises(UnmappedOperation) as raised:
        iam_requests("s3", "ListBuckets", {}, WHERE)  # the action is s3:ListAllMyBuckets
    assert "s3 ListBuckets is not in devkit/iam/actions.py OPERATIONS" in str(raised.value)
    assert 'add to its table in devkit/iam/actions.py: "ListBuckets": lambda p, w: [Request(' in (
        str(raised.value)
    )
    with pytest.raises(UnmappedOperation, match="parameter 'Key' missing"):
        iam_requests("s3", "GetObject", {"Bucket": "b"}, WHERE)
