"""Pre-flight refusals of `deploy up`: each names the parameter or resource and the fix.

Subnets and the OIDC provider against moto's EC2 and IAM; the stack states moto
cannot reach (a rolled-back create, UPDATE_ROLLBACK_FAILED) through botocore's
Stubber, with AWS's response shapes.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from botocore.stub import Stubber

from deploy.errors import DeployError
from deploy.up import preflight, regions, stacks
from tests.deploy.conftest import REGION, _client

STACK = "mwaa-pipelines"


@pytest.fixture
def ec2(endpoints):
    return _client("ec2", endpoints["s3"])


def subnets(ec2, zones: str) -> list[str]:
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{n}.0/24", AvailabilityZone=REGION + z)[
            "Subnet"
        ]["SubnetId"]
        for n, z in enumerate(zones)
    ]


def test_one_mwaa_subnet_is_refused_naming_the_parameter(ec2):
    (one,) = subnets(ec2, "a")
    with pytest.raises(DeployError) as err:
        preflight.check_subnets(ec2, {"PrivateSubnetIds": one})
    assert str(err.value).startswith("parameter PrivateSubnetIds has 1 subnet(s); MWAA needs")
    assert "--parameter PrivateSubnetIds=subnet-a,subnet-b" in str(err.value)


def test_two_mwaa_subnets_in_one_az_are_refused(ec2):
    ids = subnets(ec2, "aa")
    with pytest.raises(DeployError, match="are all in us-east-1a; MWAA needs two Availability"):
        preflight.check_subnets(ec2, {"PrivateSubnetIds": ",".join(ids)})


def test_redshift_subnets_in_two_azs_are_refused(ec2):
    ids = subnets(ec2, "abb")
    wanted = {"PrivateSubnetIds": ",".join(ids[:2]), "RedshiftSubnetIds": ",".join(ids)}
    with pytest.raises(DeployError) as err:
        preflight.check_subnets(ec2, wanted)
    assert "parameter RedshiftSubnetIds has 3 subnet(s) in 2 Availability Zone(s)" in str(err.value)
    assert "RedshiftSubnetIds=subnet-a,subnet-b,subnet-c" in str(err.value)


def test_no_redshift_subnets_is_refused_rather_than_reusing_the_mwaa_two(ec2):
    ids = subnets(ec2, "ab")
    with pytest.raises(DeployError, match="parameter RedshiftSubnetIds has 0 subnet"):
        preflight.check_subnets(ec2, {"PrivateSubnetIds": ",".join(ids)})


def test_a_subnet_of_another_account_is_named(ec2):
    with pytest.raises(
        DeployError,
        match="parameter PrivateSubnetIds: .*subnet-000.' does not exist: pass subnet ids",
    ):
        preflight.check_subnets(ec2, {"PrivateSubnetIds": "subnet-0000,subnet-0001"})


def test_three_azs_pass_with_a_note(ec2):
    ids = subnets(ec2, "abc")
    notes = preflight.check_subnets(
        ec2, {"PrivateSubnetIds": ",".join(ids[:2]), "RedshiftSubnetIds": ",".join(ids)}
    )
    assert notes == [
        "MWAA subnets in us-east-1a, us-east-1b; Redshift subnets in us-east-1a, us-east-1b, "
        "us-east-1c"
    ]


def test_an_existing_github_oidc_provider_is_reused(endpoints):
    iam = _client("iam", endpoints["s3"])
    url = f"https://{preflight.GITHUB_OIDC_HOST}"
    listed = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    made = None
    if not any(p["Arn"].endswith(preflight.GITHUB_OIDC_HOST) for p in listed):
        made = iam.create_open_id_connect_provider(
            Url=url, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
        )["OpenIDConnectProviderArn"]
    try:
        assert preflight.oidc_parameter(iam) == {"CreateGitHubOidcProvider": "false"}
    finally:
        if made:
            iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=made)


def test_without_a_github_oidc_provider_the_stack_creates_it(endpoints):
    # moto's IAM is shared by the whole test process: an empty account, as AWS answers it
    iam = _client("iam", endpoints["s3"])
    other = {"OpenIDConnectProviderList": [{"Arn": "arn:aws:iam::1:oidc-provider/example.com"}]}
    with Stubber(iam) as stub:
        stub.add_response("list_open_id_connect_providers", other, {})
        assert preflight.oidc_parameter(iam) == {"CreateGitHubOidcProvider": "true"}


def test_an_unsupported_region_is_refused_naming_the_setting():
    with pytest.raises(DeployError) as err:
        regions.check_region("af-south-1")
    message = str(err.value)
    assert message.startswith("region af-south-1 is not known to offer MWAA 3.2.1")
    assert "--region with one of" in message and "us-east-1" in message
    assert regions.check_region("eu-west-1") == "eu-west-1"


def _stack(status: str) -> dict:
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "StackId": f"arn:aws:cloudformation:{REGION}:123456789012:stack/{STACK}/x",
                "StackStatus": status,
                "CreationTime": datetime(2026, 12, 7, tzinfo=timezone.utc),
            }
        ]
    }


def _resource(logical: str, physical: str, status: str, kind="AWS::S3::Bucket") -> dict:
    return {
        "LogicalResourceId": logical,
        "PhysicalResourceId": physical,
        "ResourceType": kind,
        "ResourceStatus": status,
        "Timestamp": datetime(2026, 12, 7, tzinfo=timezone.utc),
    }


ROLLED_BACK = {
    "StackResources": [
        _resource("LandingBucket", "p-landing-1", "DELETE_SKIPPED"),
        _resource("LakeBucket", "p-lake-1", "DELETE_SKIPPED"),
        _resource("AlertsTopic", "arn:aws:sns:x", "DELETE_COMPLETE", "AWS::SNS::Topic"),
    ]
}


def test_a_rolled_back_create_with_retained_buckets_gets_a_guided_clean_up(endpoints):
    cfn = _client("cloudformation", endpoints["s3"])
    with Stubber(cfn) as stub:
        stub.add_response("describe_stack_resources", ROLLED_BACK, {"StackName": STACK})
        with pytest.raises(DeployError) as err:
            preflight.check_stack(cfn, STACK, "ROLLBACK_COMPLETE", clean_up=False)
    message = str(err.value)
    assert "It kept the bucket(s) p-lake-1, p-landing-1 (DeletionPolicy Retain)" in message
    assert "rerun with --clean-up" in message
    assert "aws s3 rb s3://p-landing-1 --force;" in message
    assert f"aws cloudformation delete-stack --stack-name {STACK}" in message


def test_clean_up_empties_and_deletes_the_retained_buckets_then_the_stack(endpoints):
    s3 = _client("s3", endpoints["s3"])
    buckets = [f"kept-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for bucket in buckets:
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket=bucket, Key="a", Body=b"1")
        s3.put_object(Bucket=bucket, Key="a", Body=b"2")
    resources = {"StackResources": [_resource("B", b, "DELETE_SKIPPED") for b in buckets]}
    cfn = _client("cloudformation", endpoints["s3"])
    with Stubber(cfn) as stub:
        stub.add_response("describe_stack_resources", resources, {"StackName": STACK})
        stub.add_response("delete_stack", {}, {"StackName": STACK})
        stub.add_response("describe_stacks", _stack("DELETE_COMPLETE"), {"StackName": STACK})
        said = []
        stacks.clean_up(cfn, s3, STACK, said.append, 0, 5)
        stub.assert_no_pending_responses()
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert not names & set(buckets)
    assert f"  deleted the retained bucket {buckets[0]} (2 object version(s))" in said


def test_update_rollback_failed_is_continued(endpoints):
    cfn = _client("cloudformation", endpoints["s3"])
    with Stubber(cfn) as stub:
        stub.add_response("continue_update_rollback", {}, {"StackName": STACK})
        stub.add_response(
            "describe_stacks", _stack("UPDATE_ROLLBACK_IN_PROGRESS"), {"StackName": STACK}
        )
        stub.add_response(
            "describe_stacks", _stack("UPDATE_ROLLBACK_COMPLETE"), {"StackName": STACK}
        )
        said = []
        stacks.continue_rollback(cfn, STACK, said.append, 0, 5)
        stub.assert_no_pending_responses()
    assert said == [f"  continued the rollback of stack {STACK}: UPDATE_ROLLBACK_COMPLETE"]


def test_update_rollback_failed_twice_names_the_skip_option(endpoints):
    cfn = _client("cloudformation", endpoints["s3"])
    with Stubber(cfn) as stub:
        stub.add_response("continue_update_rollback", {}, {"StackName": STACK})
        stub.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_FAILED"), {"StackName": STACK})
        with pytest.raises(DeployError, match="--resources-to-skip <logical id>"):
            stacks.continue_rollback(cfn, STACK, print, 0, 5)


@pytest.mark.parametrize("status", ["UPDATE_IN_PROGRESS", "IMPORT_ROLLBACK_FAILED"])
def test_a_stack_that_is_busy_or_needs_a_person_is_refused_with_the_tables_advice(status):
    with pytest.raises(DeployError, match=f"stack {STACK} is {status} \\("):
        preflight.check_stack(None, STACK, status, clean_up=False)


def test_deploy_up_stops_at_an_unsupported_region_before_any_call(capsys):
    from deploy.__main__ import main
    from deploy.aws import Clients

    class NoCalls:
        def __getattr__(self, name):
            raise AssertionError(f"pre-flight made a call ({name}) before the region check")

    clients = Clients(s3=NoCalls(), mwaa=NoCalls(), cloudformation=NoCalls(), made={
        "sts": NoCalls()})  # fmt: skip
    assert main(["up", "--region", "af-south-1"], clients) == 1
    assert "error: region af-south-1 is not known to offer" in capsys.readouterr().err
