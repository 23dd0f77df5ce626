"""devkit/iam/gate.py on the live emulation: a call the role may not make fails at once,
in AWS's error shape for the service, naming action and resource; it is still recorded
for the run's summary, and DEVKIT_IAM_RECORD_ONLY records without denying."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from devkit.iam import recorder
from devkit.iam.check import check
from devkit.iam.evaluate import Request
from devkit.iam.gate import RECORD_ONLY, enforcing
from devkit.iam.policies import policies_for, stack_resources

RESOURCES = stack_resources(
    "123456789012",
    "us-east-1",
    "g",
    names={"LakeBucket": "lake-g", "LandingBucket": "landing-g", "AlertsTopic": "alerts-g"},
    ids={},
)
SESSION = "arn:aws:sts::123456789012:assumed-role/local-mwaa-execution/local"


@pytest.fixture
def mwaa(local_aws):
    local_aws.create_bucket("lake-g")
    local_aws.put_object("lake-g", "bronze/x/1.txt", "1")
    return lambda service: local_aws.client(service, principal="MwaaExecutionRole")


def test_s3_answers_access_denied_in_its_xml_shape_and_nothing_is_deleted(local_aws, mwaa):
    mark = recorder.LOG.mark()
    with enforcing(policies_for(RESOURCES)), pytest.raises(ClientError) as raised:
        mwaa("s3").delete_object(Bucket="lake-g", Key="bronze/x/1.txt")
    error = raised.value.response["Error"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (
        f"User: {SESSION} is not authorized to perform: s3:DeleteObject on resource: "
        "arn:aws:s3:::lake-g/bronze/x/1.txt because no identity-based policy allows the "
        "s3:DeleteObject action"
    )
    assert local_aws.list_keys("lake-g") == ["bronze/x/1.txt"]
    report = check(recorder.LOG.since(mark), policies_for(RESOURCES))
    assert [d.action for d in report.denials] == ["s3:DeleteObject"]  # still in the summary


def test_json_services_answer_access_denied_exception(mwaa):
    with enforcing(policies_for(RESOURCES)), pytest.raises(ClientError) as raised:
        mwaa("glue").get_crawler(Name="not-of-this-project")
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "glue:GetCrawler on resource: arn:aws:glue:us-east-1:123456789012:crawler/" in (
        raised.value.response["Error"]["Message"]
    )


def test_query_services_answer_in_their_xml_shape(mwaa):
    topic = "arn:aws:sns:us-east-1:123456789012:someone-elses"
    with enforcing(policies_for(RESOURCES)), pytest.raises(ClientError) as raised:
        mwaa("sns").publish(TopicArn=topic, Message="m")
    assert raised.value.response["Error"]["Code"] == "AuthorizationError"
    assert f"sns:Publish on resource: {topic}" in raised.value.response["Error"]["Message"]


def test_allowed_calls_pass_and_outside_a_run_nothing_is_denied(local_aws, mwaa):
    with enforcing(policies_for(RESOURCES)):
        assert mwaa("s3").get_object(Bucket="lake-g", Key="bronze/x/1.txt")["Body"].read() == b"1"
    mwaa("s3").put_object(Bucket="lake-g", Key="gold/not-allowed.txt", Body=b"")
    assert "gold/not-allowed.txt" in local_aws.list_keys("lake-g")


def test_record_only_records_the_denial_without_failing_the_call(local_aws, mwaa, monkeypatch):
    monkeypatch.setenv(RECORD_ONLY, "1")
    mark = recorder.LOG.mark()
    with enforcing(policies_for(RESOURCES)):
        mwaa("s3").delete_object(Bucket="lake-g", Key="bronze/x/1.txt")
    assert local_aws.list_keys("lake-g", "bronze/") == []
    report = check(recorder.LOG.since(mark), policies_for(RESOURCES))
    assert [d.action for d in report.denials] == ["s3:DeleteObject"]


def test_an_in_process_access_the_role_may_not_make_raises_denied():
    denied = Request("s3:DeleteObject", "arn:aws:s3:::lake-g/silver/a")
    with enforcing(policies_for(RESOURCES)), pytest.raises(recorder.Denied) as raised:
        recorder.record("MwaaExecutionRole", "a test", [denied])
    assert "s3:DeleteObject on resource: arn:aws:s3:::lake-g/silver/a" in str(raised.value)
