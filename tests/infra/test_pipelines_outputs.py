"""infra/pipelines.yaml: the outputs the settings command reads, one per Airflow Variable.

The settings command turns each output into the Variable or Connection the DAGs
read, so a Variable added to lakehouse.conventions.Var without its output (or an
output renamed) fails here, not on MWAA at 2 a.m.
"""

from __future__ import annotations

import json

import pytest
from cfnlint.decode import decode_str

from devkit.iam.infra_policies import INFRA_DIR, Resolver
from devkit.iam.recorder import ROLE_NAMES
from devkit.paths import REPO
from lakehouse.conventions import Var

TEMPLATE_PATH = INFRA_DIR / "pipelines.yaml"
TEMPLATE = decode_str(TEMPLATE_PATH.read_text())[0]
OUTPUTS = TEMPLATE["Outputs"]
CONNECTION_AND_DEPLOY_OUTPUTS = {
    "RedshiftCopyUnloadRoleArn",
    "RedshiftWorkgroupEndpoint",
    "RedshiftWorkgroupPort",
    "MwaaEnvironmentName",
    "MwaaBucket",
    "MwaaExecutionRoleArn",
    "DeployRoleArn",
    "RedshiftNamespaceName",
}
ROLES = set(ROLE_NAMES)  # every role a pipeline, the ingestion or the deploy acts as
# CloudFormation's limit for a template sent inline (TemplateBody) rather than from S3.


def output_name(variable: Var) -> str:
    """`alerts_sns_topic_arn` -> `AlertsSnsTopicArn`."""
    return "".join(part.capitalize() for part in variable.value.split("_"))


def resolved_outputs() -> dict[str, object]:
    resolver = Resolver(TEMPLATE, values={"AWS::AccountId": "111122223333"})
    return {name: resolver.resolve(output["Value"]) for name, output in OUTPUTS.items()}


@pytest.mark.parametrize("variable", list(Var), ids=lambda v: v.value)
def test_every_variable_has_its_output(variable):
    assert output_name(variable) in OUTPUTS, (
        f"infra/pipelines.yaml has no output {output_name(variable)} for Variable "
        f"{variable.value!r} (lakehouse.conventions.Var)"
    )


def test_the_connection_and_deploy_outputs_exist():
    assert CONNECTION_AND_DEPLOY_OUTPUTS <= set(OUTPUTS)


def test_outputs_hold_the_values_the_dags_need():
    values = resolved_outputs()
    lake = "mwaa-pipelines-lake-111122223333-us-east-1"
    assert values["LakeBucket"] == lake
    assert values["EmrLogUri"] == f"s3://{lake}/emr-serverless-logs/"
    assert values["DatahubSubnets"] == "subnet-0sample000000001,subnet-0sample000000002"
    assert values["DatahubSecurityGroups"] == "sg-0sample000000001"
    assert values["DatahubTaskDefinition"] == "mwaa-pipelines-datahub-ingestion"
    # Glue names: the stack's name with underscores (Athena reads no hyphens).
    assert values["GlueDatabase"] == "mwaa_pipelines_tickit_gold"
    assert (values["LakeBronzeDatabase"], values["LakeGoldDatabase"]) == (
        "mwaa_pipelines_lake_bronze",
        "mwaa_pipelines_lake_gold",
    )
    assert values["TickitGoldCrawler"] == "mwaa-pipelines-tickit-gold-sales-by-category"
    assert values["RedshiftDatabase"] == "dev" and values["RedshiftWorkgroupPort"] == "5439"
    assert values["AlertsSnsTopicArn"] == (
        "arn:aws:sns:us-east-1:111122223333:mwaa-pipelines-airflow-alerts"
    )
    assert all(isinstance(value, str) and value for value in values.values()), values


def test_the_roles_have_their_contract_logical_ids():
    types = {name: r["Type"] for name, r in TEMPLATE["Resources"].items()}
    assert all(types.get(role) == "AWS::IAM::Role" for role in ROLES), types


def test_mwaa_environment_reads_settings_from_secrets_manager():
    environment = TEMPLATE["Resources"]["MwaaEnvironment"]["Properties"]
    assert environment["AirflowVersion"] == "3.2.1" and environment["DagS3Path"] == "dags"
    options = environment["AirflowConfigurationOptions"]
    assert options["secrets.backend"] == (
        "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
    )
    kwargs = Resolver(TEMPLATE, values={"AWS::StackName": "acme-staging"}).resolve(
        options["secrets.backend_kwargs"]
    )
    assert json.loads(kwargs) == {
        "connections_prefix": "acme-staging/airflow/connections",
        "variables_prefix": "acme-staging/airflow/variables",
    }
    outputs = resolved_outputs()  # what `deploy infra settings` writes to
    assert outputs["AirflowVariablesPrefix"] == "mwaa-pipelines/airflow/variables"
    assert outputs["AirflowConnectionsPrefix"] == "mwaa-pipelines/airflow/connections"


def test_the_ingestion_task_matches_the_dag():
    from devkit.domains import datahub
    from lakehouse.datahub import CONTAINER_NAME, LOG_STREAM_PREFIX, RECIPES_URI_ENV

    task = TEMPLATE["Resources"]["DataHubTaskDefinition"]["Properties"]
    (container,) = task["ContainerDefinitions"]
    assert container["Name"] == CONTAINER_NAME
    assert container["EntryPoint"] == ["/bin/sh", "-c"]
    options = container["LogConfiguration"]["Options"]
    assert options["awslogs-stream-prefix"] == LOG_STREAM_PREFIX
    assert RECIPES_URI_ENV in {pair["Name"] for pair in container["Environment"]}
    image = TEMPLATE["Parameters"]["DataHubImage"]["Default"]
    assert image == datahub.INGESTION_IMAGE


def test_the_ingestion_task_sends_no_telemetry_as_the_local_containers_do():
    """DataHub's CLI reports usage to its vendor unless told not to: from a private subnet
    that is a call out of the VPC per ingest, which the local containers never make
    (devkit/emulator/ecs/ingestion.py's base_environment)."""
    (container,) = TEMPLATE["Resources"]["DataHubTaskDefinition"]["Properties"][
        "ContainerDefinitions"
    ]
    environment = {pair["Name"]: pair["Value"] for pair in container["Environment"]}
    assert environment["DATAHUB_TELEMETRY_ENABLED"] == "false"
    local = (REPO / "devkit" / "emulator" / "ecs" / "ingestion.py").read_text()
    assert '"DATAHUB_TELEMETRY_ENABLED": "false"' in local


def test_the_template_fits_a_change_set_and_ci_can_upload_it():
    """`python -m deploy infra` sends it inline as minified JSON while that fits
    CloudFormation's 51,200 bytes, else through the template bucket (TemplateURL, up to
    1 MB): CI passes the MWAA bucket, where DeployRole may write the stack's copies."""
    body = json.dumps(TEMPLATE, separators=(",", ":"))
    assert len(body.encode()) < 1_000_000, len(body.encode())
    workflow = (REPO / ".github" / "workflows" / "deploy.yml").read_text()
    assert "MWAA_INFRA_TEMPLATE_BUCKET: ${{ vars.MWAA_BUCKET }}" in workflow
    deploy = TEMPLATE["Resources"]["DeployRole"]["Properties"]["Policies"][0]
    (copies,) = [
        s for s in deploy["PolicyDocument"]["Statement"] if s["Sid"] == "TemplateCopiesOfThisStack"
    ]
    assert copies["Resource"] == {"Fn::Sub": "${MwaaBucket.Arn}/cloudformation/${AWS::StackName}/*"}
