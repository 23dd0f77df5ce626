"""A local pipeline's roles' policies are resolved with its stack's own resources.

Every pipeline stands on a stack `deploy up`'s steps made (devkit/run/local_up.py); its
names come from the emulated CloudFormation (ListStackResources, and what `Fn::GetAtt`
answers on the stack), never from a hand map (devkit/run/local_stack.py). Its Variables
and Connections are the ones the settings step wrote, read through the template's
secrets backend: none of those is an environment variable.
"""

from __future__ import annotations

import json

import pytest

from devkit.domains import for_dags
from devkit.iam import recorder
from devkit.iam.infra_policies import NAME_PROPERTY
from devkit.iam.policies import template
from devkit.run.local_env import EMULATION_CONNECTIONS
from devkit.run.local_stack import name_in, physical_ids
from devkit.run.local_up import new_stack_name, pipeline_on_stack


@pytest.fixture(scope="module")
def pipeline(local_aws):
    return pipeline_on_stack(local_aws, new_stack_name(), domains=for_dags(()))  # the house


def test_every_named_resource_is_named_as_cloudformation_named_it(pipeline, local_aws):
    made = physical_ids(local_aws, pipeline.names.project)
    named = {k: v for k, v in made.items() if v[0] in NAME_PROPERTY}
    assert {"MwaaExecutionRole", "LakeBucket", "TickitGoldCrawler", "AlertsTopic"} <= set(named)
    for logical_id, (kind, physical) in named.items():
        assert pipeline.resources[logical_id] == name_in(kind, physical), logical_id
    assert pipeline.resources["MwaaExecutionRole"] == pipeline.roles["MwaaExecutionRole"]
    assert pipeline.resources["AlertsTopic"] == pipeline.names.bucket("airflow-alerts")


def test_the_attributes_the_policies_read_are_the_stacks(pipeline, local_aws):
    resources, outputs = pipeline.resources, dict(pipeline.names.outputs)
    workgroup = local_aws.workgroup_id({"workgroupName": pipeline.names.project})
    assert resources["RedshiftWorkgroup.Workgroup.WorkgroupArn"].endswith("/" + workgroup)
    application = outputs["EmrServerlessApplicationId"]
    assert resources["SparkApplication.Arn"].endswith(f":/applications/{application}")
    assert resources["MwaaExecutionRole.Arn"] == outputs["MwaaExecutionRoleArn"]
    assert resources["MwaaExecutionRole.RoleId"] == recorder.role_id("MwaaExecutionRole")
    assert not [v for v in resources.values() if "sample" in str(v).lower()]


def test_the_crawlers_are_the_stacks_own(pipeline, local_aws):
    glue = local_aws.client("glue")
    made = physical_ids(local_aws, pipeline.names.project)
    crawlers = [k for k, r in template()["Resources"].items() if r["Type"] == "AWS::Glue::Crawler"]
    assert crawlers
    for logical_id in crawlers:
        name = made[logical_id][1]
        assert glue.get_crawler(Name=name)["Crawler"]["Name"] == name
    assert pipeline.variables["tickit_gold_crawler"] == made["TickitGoldCrawler"][1]


def test_nothing_the_settings_step_wrote_is_an_environment_variable(pipeline):
    settings = pipeline.settings
    assert {"landing_bucket", "lake_bucket"} <= set(settings.variables)
    assert {"aws_default", "aws_redshift_iam_role"} <= set(settings.connections)
    for name in settings.variables:
        assert f"AIRFLOW_VAR_{name.upper()}" not in pipeline.env, name
    conns = {k for k in pipeline.env if k.startswith("AIRFLOW_CONN_")}
    allowed = {f"AIRFLOW_CONN_{c.upper()}" for c in EMULATION_CONNECTIONS}
    assert not {f"AIRFLOW_CONN_{c.upper()}" for c in settings.connections} & conns - allowed
    kwargs = json.loads(pipeline.env["AIRFLOW__SECRETS__BACKEND_KWARGS"])
    assert kwargs["variables_prefix"] == f"{pipeline.names.project}/airflow/variables"


def test_airflow_reads_them_through_the_backend_as_the_mwaa_role(pipeline):
    from airflow.sdk import Connection, Variable

    mark = recorder.LOG.mark()
    with pipeline.environment():
        bucket = Variable.get("landing_bucket")
        connection = Connection.get("aws_redshift_iam_role")
    assert bucket == pipeline.names.landing_bucket
    outputs = dict(pipeline.names.outputs)
    assert connection.extra_dejson == {"role_arn": outputs["RedshiftCopyUnloadRoleArn"]}
    read = [
        a.resource
        for a in recorder.LOG.since(mark)
        if getattr(a, "principal", "") == "MwaaExecutionRole"
        and a.action == "secretsmanager:GetSecretValue"
    ]
    prefix = f":secret:{pipeline.names.project}/airflow"
    assert any(f"{prefix}/variables/landing_bucket" in r for r in read), read
    assert any(f"{prefix}/connections/aws_redshift_iam_role" in r for r in read), read
