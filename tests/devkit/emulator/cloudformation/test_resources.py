"""infra/pipelines.yaml through moto's CloudFormation creates every resource it declares.

moto lacks ten of its resource types; devkit/emulator/cloudformation/resources.py adds them,
backed by the emulation's own services, so each check reads the resource back from
the service's API (not from CloudFormation's record of it).
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from cfnlint.decode import decode_str

from deploy.up.preflight import oidc_parameter
from devkit.emulator.cloudformation import resources as cfn_resources
from devkit.emulator.standins import fake_mwaa
from devkit.iam.infra_policies import INFRA_DIR

TEMPLATE_TEXT = (INFRA_DIR / "pipelines.yaml").read_text()
TEMPLATE = decode_str(TEMPLATE_TEXT)[0]


@pytest.fixture(scope="module")
def stack(local_aws):
    """One stack of the real template, as `deploy infra apply` would create it."""
    project = f"t{uuid.uuid4().hex[:8]}"
    cfn = local_aws.client("cloudformation")
    parameters = {
        "GitHubEnvironment": "test",
        "PrivateSubnetIds": "subnet-a,subnet-b",
        "RedshiftSubnetIds": "subnet-a,subnet-b,subnet-c",
        "SecurityGroupIds": "sg-1",
        "GitHubRepository": "owner/repo",
        "RedshiftDatabaseName": f"dev_{project}",
        **oidc_parameter(local_aws.client("iam")),  # one per account, as pre-flight decides
    }
    cfn.create_stack(
        StackName=project,
        TemplateBody=TEMPLATE_TEXT,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    described = cfn.describe_stacks(StackName=project)["Stacks"][0]
    resources = cfn.list_stack_resources(StackName=project)["StackResourceSummaries"]
    yield {
        "project": project,
        "parameters": parameters,
        "status": described["StackStatus"],
        "outputs": {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]},
        "resources": {r["LogicalResourceId"]: r for r in resources if r["LogicalResourceId"]},
    }
    cfn.delete_stack(StackName=project)  # frees the fixed names (Glue) for later stacks


def test_every_resource_of_the_template_is_created(stack):
    assert stack["status"] == "CREATE_COMPLETE"
    off = {"UsePullThroughCache"}  # off without Docker Hub credentials
    if stack["parameters"]["CreateGitHubOidcProvider"] == "false":
        off.add(TEMPLATE["Resources"]["GitHubOidcProvider"]["Condition"])  # the account has it
    expected = {
        name
        for name, resource in TEMPLATE["Resources"].items()
        if resource.get("Condition") not in off
    }
    assert expected - set(stack["resources"]) == set()
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in stack["resources"].values())


def test_every_output_has_a_value(stack):
    assert set(stack["outputs"]) == set(TEMPLATE["Outputs"])
    assert all(stack["outputs"].values())


def test_the_workgroup_has_a_uuid_id_from_the_redshift_serverless_api(stack, local_aws):
    client = local_aws.client("redshift-serverless")
    workgroup = client.get_workgroup(workgroupName=stack["outputs"]["RedshiftWorkgroup"])
    workgroup = workgroup["workgroup"]
    assert uuid.UUID(workgroup["workgroupId"]).version == 4
    assert workgroup["workgroupArn"].endswith(f":workgroup/{workgroup['workgroupId']}")
    assert workgroup["namespaceName"] == stack["outputs"]["RedshiftNamespaceName"]
    assert workgroup["endpoint"]["address"] == stack["outputs"]["RedshiftWorkgroupEndpoint"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_workgroup(workgroupName="no-such-workgroup")


def test_the_namespace_database_exists_and_its_admin_secret_holds_the_admin(stack, local_aws):
    assert local_aws.postgres.database_exists(stack["outputs"]["RedshiftDatabase"])
    secrets = local_aws.client("secretsmanager")
    admin = secrets.get_secret_value(SecretId=stack["outputs"]["RedshiftAdminSecretName"])
    value = json.loads(admin["SecretString"])
    assert value["username"] == "admin" and len(value["password"]) == 32
    namespace = local_aws.client("redshift-serverless").get_namespace(
        namespaceName=stack["outputs"]["RedshiftNamespaceName"]
    )["namespace"]
    assert namespace["adminPasswordSecretArn"] == admin["ARN"]


def test_services_without_moto_cloudformation_support_hold_the_resources(stack, local_aws):
    outputs, project = stack["outputs"], stack["project"]
    glue = local_aws.client("glue")
    database = glue.get_database(Name=outputs["GlueDatabase"])["Database"]
    assert database["Name"] == f"{project}_tickit_gold"  # named after the stack
    crawler = glue.get_crawler(Name=outputs["TickitGoldCrawler"])["Crawler"]
    assert crawler["Name"].startswith(project)
    assert crawler["Targets"]["S3Targets"][0]["Path"] == (
        f"s3://{outputs['LakeBucket']}/gold/tickit/sales_by_category/"
    )
    athena = local_aws.client("athena").get_work_group(WorkGroup=outputs["AthenaWorkgroup"])
    result = athena["WorkGroup"]["Configuration"]["ResultConfiguration"]
    assert result["OutputLocation"] == f"s3://{outputs['LakeBucket']}/athena-results/"
    emr = local_aws.client("emr-serverless")
    application = emr.get_application(applicationId=outputs["EmrServerlessApplicationId"])
    assert application["application"]["releaseLabel"] == "emr-7.13.0"
    mwaa = fake_mwaa.process_fake().environments[outputs["MwaaEnvironmentName"]]
    assert mwaa["ExecutionRoleArn"] == outputs["MwaaExecutionRoleArn"]
    token = local_aws.client("secretsmanager").describe_secret(
        SecretId=outputs["DataHubGmsTokenSecretArn"]
    )
    assert token["Name"] == f"{project}/datahub/gms-token"
    oidc = local_aws.client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert any(p["Arn"].endswith("oidc-provider/token.actions.githubusercontent.com") for p in oidc)
    policy = cfn_resources.BUCKET_POLICIES[outputs["LakeBucket"]]
    assert policy["Statement"][0]["Sid"] == "DenyRequestsWithoutTls"


def test_the_datahub_secret_holds_a_generated_password_for_its_user(stack, local_aws):
    secrets = local_aws.client("secretsmanager")
    value = json.loads(
        secrets.get_secret_value(SecretId=stack["outputs"]["DataHubRedshiftSecretArn"])[
            "SecretString"
        ]
    )
    assert set(value) == {"username", "password"}
    assert re.fullmatch(r"[^\"'@/\\ ]{32}", value["password"])
