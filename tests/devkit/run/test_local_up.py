"""deploy up's own steps make a stack on the emulation from an empty account
(devkit/run/local_up.py): its outputs name everything, Airflow reads the settings
through the template's secrets backend, the bootstrap made the database users, and a
second run changes nothing. The administrator's calls are checked too."""

from __future__ import annotations

import uuid

import pytest
from airflow.sdk._shared.module_loading import import_string

from deploy.airflow_settings import output_key
from deploy.dag_usage import discover_usage
from deploy.redshift_bootstrap import pipeline_user
from devkit.iam import recorder
from devkit.paths import REPO
from devkit.run import local_up
from devkit.run.local_stack import secrets_backend


@pytest.fixture(scope="module")
def made(local_aws):
    stack = f"u{uuid.uuid4().hex[:8]}"
    printed: list[str] = []
    mark = recorder.LOG.mark()
    outputs = local_up.up(
        local_aws, stack, {"RedshiftDatabaseName": f"dev_{stack}"}, printed.append
    )
    yield stack, outputs, printed, recorder.LOG.since(mark)
    local_aws.client("cloudformation").delete_stack(StackName=stack)


def test_every_step_but_the_skipped_ones_ran_and_says_why(made):
    _, outputs, printed, _ = made
    ran = [line for line in printed if line.startswith("[") and ": " in line and "..." not in line]
    assert [line.split("] ")[1].split(":")[0] for line in ran] == [
        "pre-flight",
        "repair",
        "pipelines stack",
        "settings",
        "database bootstrap",
    ]
    for name in local_up.SKIPPED_LOCALLY:
        assert any(f"not on the emulation: {name}: " in line for line in printed)
    assert outputs["MwaaEnvironmentName"] and outputs["LandingBucket"].startswith(made[0])


def test_airflow_reads_every_variable_through_the_templates_backend(made, local_aws):
    stack, outputs, _, _ = made
    path, kwargs = secrets_backend(local_aws, stack)
    backend = import_string(path)(**kwargs)
    usage = discover_usage(REPO)
    assert usage.variables
    for name in usage.variables:
        assert backend.get_variable(name) == outputs[output_key(name)], name


def test_the_bootstrap_made_the_pipeline_user(made, local_aws):
    _, outputs, _, _ = made
    user = pipeline_user(outputs["MwaaExecutionRoleArn"])
    conn = local_aws.postgres.connect(outputs["RedshiftDatabase"])
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (user,))
            assert cur.fetchall() == [(False,)]
    finally:
        conn.close()


def test_a_second_run_changes_nothing(made, local_aws):
    stack, outputs, _, _ = made
    printed: list[str] = []
    again = local_up.up(local_aws, stack, {"RedshiftDatabaseName": f"dev_{stack}"}, printed.append)
    assert again == outputs
    assert any("settings: 0 created, 0 updated" in line for line in printed)


def test_the_roles_map_to_their_logical_ids(made, local_aws):
    roles = local_up.role_logical_ids(local_aws, made[0])
    assert {"MwaaExecutionRole", "DeployRole", "CloudFormationExecutionRole"} <= set(roles.values())


def test_every_call_of_the_administrator_is_mapped_and_allowed(made):
    *_, records = made
    report = local_up.check_administrator(records)
    assert report.roles[recorder.ADMINISTRATOR].used, "the administrator made no call"
    assert report.ok, report.problems()
    assert {"cloudformation:CreateChangeSet", "secretsmanager:CreateSecret"} <= set(
        report.roles[recorder.ADMINISTRATOR].used
    )


def test_the_runs_names_are_the_stacks_outputs(made):
    from devkit.run.local_env import StackNames

    _, outputs, _, _ = made
    names = StackNames.of(outputs)
    assert names.project == made[0] and not names.tag  # the run's own stack has no tag
    assert (names.landing_bucket, names.lake_bucket, names.bucket("mwaa")) == (
        outputs["LandingBucket"],
        outputs["LakeBucket"],
        outputs["MwaaBucket"],
    )
    assert outputs["AlertsSnsTopicArn"].endswith(":" + names.bucket("airflow-alerts"))
    assert names.database("dev") == outputs["RedshiftDatabase"]
    assert names.database("lake_silver") == outputs["LakeSilverDatabase"]


def test_the_runs_settings_are_what_the_settings_step_wrote(made, local_aws):
    import json
    import re

    _, outputs, _, _ = made
    settings = local_up.stack_settings(local_aws, outputs)
    assert settings.variables["landing_bucket"] == outputs["LandingBucket"]
    assert settings.variables["lake_gold_database"] == outputs["LakeGoldDatabase"]
    kwargs = json.loads(settings.backend_env()["AIRFLOW__SECRETS__BACKEND_KWARGS"])
    assert kwargs["variables_prefix"] == outputs["AirflowVariablesPrefix"]
    pattern = kwargs["connections_lookup_pattern"]
    assert not re.match(pattern, "redshift_default")  # the emulation's PostgreSQL
    assert re.match(pattern, "aws_default") and re.match(pattern, "aws_redshift_iam_role")
