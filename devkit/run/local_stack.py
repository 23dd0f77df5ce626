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

from functools import cache
from typing import TYPE_CHECKING

from devkit.iam import recorder
from devkit.infra_policies import INFRA_DIR, Resolver, load_template

if TYPE_CHECKING:
    from devkit.local_env import LocalPipeline

TEMPLATE = INFRA_DIR / "pipelines.yaml"


@cache
def template() -> dict:
    return load_template(TEMPLATE)


def stack_resources(
    account: str, region: str, project: str, names: dict[str, str], ids: dict[str, str]
) -> dict[str, str]:
    """What `policies_for` takes: the stack's pseudo parameters and ProjectName, each
    role's local name, `names` (logical id -> physical name) and `ids` (values that are
    not names: `SparkApplication.ApplicationId`, ...)."""
    return {
        "AWS::AccountId": account,
        "AWS::Region": region,
        "ProjectName": project,
        **dict(recorder.ROLE_NAMES),
        **names,
        **ids,
    }


def local_resources(pipeline: LocalPipeline) -> dict[str, str]:
    """The template's resources as this local pipeline names them."""
    from devkit.domains import datahub
    from lakehouse.conventions import Var

    names, aws, variables = pipeline.names, pipeline.aws, pipeline.variables
    application = str(variables.get(Var.EMR_SERVERLESS_APPLICATION_ID, "no-application"))
    workgroup = str(variables.get(Var.REDSHIFT_WORKGROUP, "local"))
    workgroup_arn = f"arn:aws:redshift-serverless:{aws.region}:{aws.account_id}:workgroup/"
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
            "RedshiftWorkgroup.Workgroup.WorkgroupId": workgroup,
            "RedshiftWorkgroup.Workgroup.WorkgroupArn": workgroup_arn + workgroup,
        },
    )


def split_resources(resources: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(logical id -> physical name, everything else: parameters, attributes, pseudo)."""
    logical_ids = template().get("Resources", {})
    names = {k: v for k, v in resources.items() if k in logical_ids}
    return names, {k: v for k, v in resources.items() if k not in names}


def create_crawlers(pipeline: LocalPipeline) -> None:
    """The template's crawlers, as CloudFormation would create them (set-up principal);
    the DAGs' operators then only get, update and start them, as on AWS. Crawler names
    are fixed, so pipelines sharing an emulation share them (each run updates them)."""
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
