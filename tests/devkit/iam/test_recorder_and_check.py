"""The recorder on the live emulation, and the check of what it recorded.

Uses the policies of infra/pipelines.yaml.

Calls signed with a role's key are recorded as that role, mapped to IAM actions; the
set-up key is not. The check names role, action, resource and the template resource
to change, and lists what each role was granted but never used.
"""

from __future__ import annotations

import copy

import pytest

from devkit.iam import recorder
from devkit.iam.check import AccessDenied, check, global_context
from devkit.iam.evaluate import Request
from devkit.iam.policies import policies_for, stack_resources, without_permission

RESOURCES = stack_resources(
    "123456789012",
    "us-east-1",
    "t",
    names={
        "LandingBucket": "landing-t",
        "LakeBucket": "lake-t",
        "MwaaBucket": "mwaa-t",
        "TickitGoldDatabase": "tickit_gold_t",
    },
    ids={},
)


@pytest.fixture
def lake(local_aws):
    for bucket in ("landing-t", "lake-t"):
        local_aws.create_bucket(bucket)
    local_aws.put_object("landing-t", "tickit/sales/1.txt", "1|2")
    return local_aws.client("s3", principal="MwaaExecutionRole")


def test_calls_signed_with_a_role_key_are_recorded_as_that_role(local_aws, lake):
    mark = recorder.LOG.mark()
    lake.copy_object(
        Bucket="lake-t",
        Key="bronze/sales/1.txt",
        CopySource={"Bucket": "landing-t", "Key": "tickit/sales/1.txt"},
    )
    lake.list_objects_v2(Bucket="lake-t", Prefix="bronze/")
    lake.delete_objects(Bucket="lake-t", Delete={"Objects": [{"Key": "bronze/sales/1.txt"}]})
    local_aws.s3_client().list_objects_v2(Bucket="lake-t")  # the set-up key: not recorded
    got = [(a.principal, a.via, a.action, a.resource) for a in recorder.LOG.since(mark)]
    assert got == [
        (
            "MwaaExecutionRole",
            "s3 CopyObject",
            "s3:GetObject",
            "arn:aws:s3:::landing-t/tickit/sales/1.txt",
        ),
        (
            "MwaaExecutionRole",
            "s3 CopyObject",
            "s3:PutObject",
            "arn:aws:s3:::lake-t/bronze/sales/1.txt",
        ),
        ("MwaaExecutionRole", "s3 ListObjectsV2", "s3:ListBucket", "arn:aws:s3:::lake-t"),
        (
            "MwaaExecutionRole",
            "s3 DeleteObjects",
            "s3:DeleteObject",
            "arn:aws:s3:::lake-t/bronze/sales/1.txt",
        ),
    ]
    assert recorder.LOG.since(mark)[2].request.context == {"s3:prefix": "bronze/"}


def test_a_call_missing_from_the_action_table_fails_the_check(local_aws, lake):
    mark = recorder.LOG.mark()
    lake.list_buckets()  # authorized as s3:ListAllMyBuckets: not derivable from its name
    report = check(recorder.LOG.since(mark), policies_for(RESOURCES))
    assert not report.ok
    assert report.problems() == [
        "UNMAPPED MwaaExecutionRole: s3 ListBuckets: s3 ListBuckets is not in "
        "devkit/iam/actions.py OPERATIONS and cannot be derived (AWS has no action "
        "s3:ListBuckets: the operation is authorized otherwise): add to its table in "
        'devkit/iam/actions.py: "ListBuckets": lambda p, w: [Request("s3:ListBuckets", <*>)], '
        "(see s3:ListBuckets in the Service Authorization Reference)"
    ]


def test_the_template_policies_allow_the_calls_and_a_removed_permission_is_named(local_aws, lake):
    mark = recorder.LOG.mark()
    lake.copy_object(
        Bucket="lake-t",
        Key="bronze/sales/2.txt",
        CopySource={"Bucket": "landing-t", "Key": "tickit/sales/1.txt"},
    )
    accesses = recorder.LOG.since(mark)
    policies = policies_for(RESOURCES)
    assert check(accesses, policies).ok
    reduced = without_permission(policies, "MwaaExecutionRole", "s3:PutObject")
    with pytest.raises(AccessDenied) as denied:
        check(accesses, reduced).raise_for_problems()
    assert (
        "DENIED MwaaExecutionRole: s3:PutObject on arn:aws:s3:::lake-t/bronze/sales/2.txt "
        "[s3:x-amz-copy-source=landing-t/tickit/sales/1.txt] "
        "(by s3 CopyObject; no statement allows it) -> change infra/pipelines.yaml: "
        "MwaaExecutionRole"
    ) in str(denied.value)


def test_the_summary_counts_accesses_and_lists_grants_never_used():
    allowed = recorder.Access(
        "RedshiftCopyUnloadRole",
        "Redshift COPY",
        _request("s3:GetObject", "arn:aws:s3:::landing-t/tickit/sales/1.txt"),
    )
    denied = recorder.Access(
        "RedshiftCopyUnloadRole", "Redshift COPY", _request("s3:GetObject", "arn:aws:s3:::x/y")
    )
    report = check([allowed, denied], policies_for(RESOURCES), principals=["GlueCrawlerRole"])
    row = report.summary()["RedshiftCopyUnloadRole"]
    assert (row["accesses"], row["denied"], row["used"]) == (2, 1, {"s3:GetObject": 1})
    assert row["granted, never used"] == [
        "ListTickitLanding (whole): s3:ListBucket",
        "UnloadToTickitGoldSalesByCategory (whole): s3:PutObject, s3:GetObject, "
        "s3:DeleteObject, s3:AbortMultipartUpload",
        "ListTickitGoldForCleanpath (whole): s3:ListBucket",
        "BucketLocations (whole): s3:GetBucketLocation",
    ]
    assert report.summary()["GlueCrawlerRole"]["accesses"] == 0
    assert report.problems()[0].startswith(
        "DENIED RedshiftCopyUnloadRole: s3:GetObject on arn:aws:s3:::x/y"
    )


def test_a_role_without_policies_is_denied_everything():
    access = recorder.Access(
        "DeployRole", "s3 PutObject", _request("s3:PutObject", "arn:aws:s3:::m/k")
    )
    report = check([access], {})
    assert "no policies for role DeployRole" in report.problems()[0]


def _request(action, resource):
    from devkit.iam.evaluate import Request

    return Request(action, resource)


def test_the_emulation_checks_each_pipeline_against_its_own_policies(local_aws, running_pipelines):
    from devkit.run.local_env import LocalPipeline

    pipeline = LocalPipeline(local_aws, domains=())  # unique names, nothing provisioned
    lake = pipeline.names.lake_bucket
    for bucket in (lake, "lake-t"):
        local_aws.create_bucket(bucket)  # idempotent in us-east-1
    mwaa = local_aws.client("s3", principal="MwaaExecutionRole")
    mark = recorder.LOG.mark()
    mwaa.put_object(Bucket=lake, Key="bronze/x.csv", Body=b"1")
    mwaa.put_object(Bucket="lake-t", Key="bronze/y.csv", Body=b"1")  # another pipeline's
    pipeline.accesses.extend(recorder.LOG.since(mark))  # what `pipeline.run` collects
    report = running_pipelines.check_iam()
    assert [line.split(" (by")[0] for line in report.problems()] == [
        "DENIED MwaaExecutionRole: s3:PutObject on arn:aws:s3:::lake-t/bronze/y.csv"
    ]
    assert running_pipelines.check_iam().ok  # checked once: the next check starts after them
    summary = pipeline.check_iam(everything=True).summary()
    assert summary["MwaaExecutionRole"]["used"] == {"s3:PutObject": 1}
    assert set(summary) == set(recorder.ROLE_NAMES)


def test_a_call_naming_only_an_id_is_checked_on_the_resource_it_belongs_to(local_aws):
    local_aws.create_bucket("results-t")
    athena = local_aws.client("athena", principal="MwaaExecutionRole")
    mark = recorder.LOG.mark()
    query = athena.start_query_execution(
        QueryString="SELECT 1",
        WorkGroup="primary",
        ResultConfiguration={"OutputLocation": "s3://results-t/athena/"},
    )["QueryExecutionId"]
    athena.get_query_execution(QueryExecutionId=query)
    athena.get_query_results(QueryExecutionId=query)
    got = [(a.via, a.action, a.resource) for a in recorder.LOG.since(mark)]
    workgroup = "arn:aws:athena:us-east-1:123456789012:workgroup/primary"
    result = f"arn:aws:s3:::results-t/athena/{query}.csv"
    assert got == [
        ("athena StartQueryExecution", "athena:StartQueryExecution", workgroup),
        # Athena writes the result file with the caller's permissions...
        ("Athena results", "s3:GetBucketLocation", "arn:aws:s3:::results-t"),
        ("Athena results", "s3:PutObject", result),
        ("athena GetQueryExecution", "athena:GetQueryExecution", workgroup),
        ("athena GetQueryResults", "athena:GetQueryResults", workgroup),
        # ...and reads it back with them.
        ("athena GetQueryResults", "s3:GetObject", result),
    ]


def test_a_policy_the_evaluator_cannot_read_stops_the_check_naming_the_role():
    from devkit.iam.evaluate import PolicyError

    odd = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ]
    }
    access = recorder.Access("EmrJobRole", "Spark", _request("s3:GetObject", "arn:aws:s3:::b/k"))
    with pytest.raises(PolicyError, match="infra/pipelines.yaml: EmrJobRole: .*IpAddress"):
        check([access], {"EmrJobRole": [odd]})


# --- the Data API owner: the triggerer polls what a worker ran ---------------------------


def _poll(owner: str) -> recorder.Access:
    request = Request(
        "redshift-data:DescribeStatement", "*", {"redshift-data:statement-owner-iam-userid": owner}
    )
    return recorder.Access("MwaaExecutionRole", "redshift-data DescribeStatement", request)


def test_the_triggerer_session_polls_the_statements_a_worker_session_ran():
    """docs/iam_check.md, "The Data API owner": aws:userid names the session, and on MWAA
    the triggerer (polling) and the worker (running) are different sessions."""
    policies = policies_for(RESOURCES, principals=("MwaaExecutionRole",))
    worker = recorder.userid("MwaaExecutionRole", recorder.WORKER)
    assert worker != global_context("MwaaExecutionRole")["aws:userid"]
    assert check([_poll(worker)], policies).ok
    someone_else = recorder.userid("DeployRole", recorder.WORKER)
    assert not check([_poll(someone_else)], policies).ok


def test_a_condition_on_the_callers_own_session_fails_the_deferrable_poll():
    policies = policies_for(RESOURCES, principals=("MwaaExecutionRole",))
    session_only = copy.deepcopy(policies)
    for document in session_only["MwaaExecutionRole"]:
        for statement in document.get("Statement", []):
            if statement.get("Sid") == "RedshiftDataOwnStatementsWildcardRequired":
                statement["Condition"] = {
                    "StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}
                }
    (line,) = check(
        [_poll(recorder.userid("MwaaExecutionRole", recorder.WORKER))], session_only
    ).problems()
    assert line.startswith("DENIED MwaaExecutionRole: redshift-data:DescribeStatement")
