"""The stack of infra/pipelines.yaml as the local emulation names it.

The template is the one definition of the AWS resources. Locally they get local names
(`LocalNames`: `local-lake`, or `lake-<tag>` in tests); `local_resources(pipeline)`
maps each logical id to that name (its Ref and ARN follow from it) plus the few values
that are ids rather than names (the EMR Serverless application, the workgroup id).
The IAM check resolves the roles' policies with it, and resources whose shape the
DAGs rely on (the Glue crawlers) are created locally from the template's own
properties (`create_crawlers`).
"""

from __future__ import annotations

from devkit.domains import Pipeline, datahub
from devkit.iam import recorder
from devkit.iam.infra_policies import INFRA_DIR, Resolver
from devkit.iam.policies import split_resources, stack_resources, template
from devkit.paths import REPO

# Parameters the template needs that have no meaning on the emulation.
EMULATED_NETWORK = {
    "PrivateSubnetIds": "subnet-local-a,subnet-local-b",
    "RedshiftSubnetIds": "subnet-local-a,subnet-local-b,subnet-local-c",
    "SecurityGroupIds": "sg-local",
    "GitHubRepository": "local/pipelines",
}


def deploy_clients(aws):
    """The deploy tool's clients on the emulation, as the set-up principal (the admin)."""
    from deploy.aws import Clients

    return Clients(
        s3=aws.client("s3"),
        mwaa=None,
        cloudformation=aws.client("cloudformation"),
        secretsmanager=aws.client("secretsmanager"),
        redshift_data=aws.client("redshift-data"),
    )


def apply_stack(aws, stack: str, parameters: dict[str, str]) -> dict[str, str]:
    """infra/pipelines.yaml applied by `deploy up`'s own stack step code (through
    `python -m deploy infra apply`); the stack's outputs."""
    from deploy import airflow_settings
    from deploy.up import stacks
    from deploy.up.preflight import oidc_parameter
    from deploy.up.run import Options

    # As deploy up's pre-flight: GitHub's OIDC provider is one per account (other
    # stacks of this emulation may have made it).
    oidc = oidc_parameter(aws.client("iam"))
    values = {**EMULATED_NETWORK, "GitHubEnvironment": stack, **oidc, **parameters}
    options = Options(repo=REPO, stack=stack, region=aws.region, poll_interval=0.0, timeout=60.0)
    clients = deploy_clients(aws)
    template = INFRA_DIR / "pipelines.yaml"
    stacks.apply(clients, stack, template, values, options, lambda line: None)
    return airflow_settings.stack_outputs(clients.cloudformation, stack)


def local_resources(pipeline: Pipeline) -> dict[str, str]:
    """The template's resources as this local pipeline names them."""
    from lakehouse.conventions import Var

    names, aws, variables = pipeline.names, pipeline.aws, pipeline.variables
    application = str(variables.get(Var.EMR_SERVERLESS_APPLICATION_ID, "no-application"))
    workgroup = str(variables.get(Var.REDSHIFT_WORKGROUP, "local"))
    workgroup_arn = f"arn:aws:redshift-serverless:{aws.region}:{aws.account_id}:workgroup/"
    workgroup_id = aws.workgroup_id({"workgroupName": workgroup})  # as the IAM check has it
    return stack_resources(
        aws.account_id,
        aws.region,
        names.project,
        names={
            "MwaaBucket": names.bucket("mwaa"),
            "LandingBucket": names.landing_bucket,
            "LakeBucket": names.lake_bucket,
            "AlertsTopic": names.bucket("airflow-alerts"),
            "AthenaWorkgroup": str(variables.get(Var.ATHENA_WORKGROUP, "primary")),
            "TickitGoldDatabase": names.database("tickit_gold"),
            "LakeBronzeDatabase": names.database("lake_bronze"),
            "LakeSilverDatabase": names.database("lake_silver"),
            "LakeGoldDatabase": names.database("lake_gold"),
            "DataHubCluster": datahub.cluster(names),
            "DataHubLogGroup": datahub.log_group(names),
            "MwaaEnvironment": "local",
            "RedshiftWorkgroup": workgroup,
        },
        ids={
            "SparkApplication.ApplicationId": application,
            "SparkApplication.Arn": (
                f"arn:aws:emr-serverless:{aws.region}:{aws.account_id}:/applications/{application}"
            ),
            "RedshiftWorkgroup.Workgroup.WorkgroupId": workgroup_id,
            "RedshiftWorkgroup.Workgroup.WorkgroupArn": workgroup_arn + workgroup_id,
        },
    )


def stack_names(pipeline: Pipeline) -> dict[str, str]:
    """Logical id -> local physical name of every named resource of the template (roles,
    buckets, databases, crawlers, ...): what the access record writes as `${LogicalId}`."""
    names, values = split_resources(local_resources(pipeline))
    resolver = Resolver(template(), values=values, names=names)
    found = dict(recorder.ROLE_NAMES)
    for logical_id in template()["Resources"]:
        name = resolver.name_of(logical_id)
        if not name.endswith("-SAMPLE"):  # no name of its own: CloudFormation makes one
            found[logical_id] = name
    return found


def create_crawlers(pipeline: Pipeline) -> None:
    """The template's crawlers, as CloudFormation would create them (set-up principal);
    the DAGs' operators then only get, update and start them, as on AWS. Crawler names
    derive from the stack's name (LocalNames.project): each pipeline has its own."""
    names, values = split_resources(local_resources(pipeline))
    resolver = Resolver(template(), values=values, names=names)
    glue = pipeline.aws.client("glue")
    existing = set(glue.list_crawlers().get("CrawlerNames", []))
    for resource in template()["Resources"].values():
        if resource["Type"] != "AWS::Glue::Crawler":
            continue
        properties = resolver.resolve(resource["Properties"])
        if properties["Name"] not in existing:
            glue.create_crawler(**properties)


def secrets_backend(aws, stack: str, principal: str = "MwaaExecutionRole") -> tuple[str, dict]:
    """Airflow's secrets backend as the template configures MWAA (AirflowConfigurationOptions
    secrets.backend and secrets.backend_kwargs), pointed at the emulation and signing as
    the MWAA execution role: (class path, kwargs)."""
    import json

    options = template()["Resources"]["MwaaEnvironment"]["Properties"]
    options = Resolver(template(), values={"AWS::StackName": stack}).resolve(
        options["AirflowConfigurationOptions"]
    )
    kwargs = json.loads(options["secrets.backend_kwargs"])
    kwargs.update(aws.aws_connection(principal=principal)["extra"])
    return options["secrets.backend"], kwargs
