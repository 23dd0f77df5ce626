"""The first night: from an empty moto account, `deploy up --sample-night` through the run
command's own code path (devkit/run/pipelines.py `nights`), to every DAG succeeding.

Every step of deploy up runs on the emulation (devkit/run/local_up.py): the stack from
infra/pipelines.yaml, the deploy to the emulated MWAA bucket as the deploy role, the
settings, the database bootstrap, the sample night in the landing bucket, the unpause
and the first runs through the emulated InvokeRestApi, the readiness report. The runs
the first-runs step queued are what the run layer executes; the Asset-scheduled DAGs
follow. Asserted: the stack, the objects in the buckets, the rows in the warehouse, the
runs' states as MWAA's API lists them, every access of the administrator and the deploy
role mapped and allowed, and a second `up` changing nothing.
"""

from __future__ import annotations

import os
from datetime import date

import pytest
from airflow.sdk._shared.module_loading import import_string

from deploy.airflow_settings import output_key
from deploy.redshift_bootstrap import pipeline_user
from devkit.iam import recorder
from devkit.run import local_up
from devkit.run.local_env import StackNames
from devkit.run.local_stack import secrets_backend

pytestmark = pytest.mark.integration

NIGHT = date(2008, 1, 1)  # the run command's --first-day: its sample night (first_night's)
STEPS = [
    "pre-flight",
    "repair",
    "network stack",
    "pipelines stack",
    "deploy",
    "settings",
    "database bootstrap",
    "sample night",
    "unpause",
    "first runs",
    "readiness",
]


@pytest.fixture(scope="module")
def night(first_night):
    """The session's first night (tests/conftest.py `first_night`, on its own stack; the
    data lake's tests read its lake): (stack, pipeline, results, printed, the accesses
    of deploy up and the runs, the catalogue)."""
    environ = _settings()
    yield first_night
    assert _settings() == environ, "a test here left a pipeline's settings in os.environ"


def _settings() -> dict[str, str]:
    """What a pipeline's settings put in the environment (AIRFLOW_CTX_* is Airflow's)."""
    kinds = ("AIRFLOW_VAR_", "AIRFLOW_CONN_", "AIRFLOW__SECRETS__", "AWS_")
    return {k: v for k, v in os.environ.items() if k.startswith(kinds)}


def test_every_step_of_deploy_up_ran_in_order(night):
    printed = night[3]
    done = [line.split("] ", 1)[1] for line in printed.splitlines() if "/11] " in line]
    ran = [line.split(":")[0] for line in done if not line.endswith(" ...")]
    assert ran == STEPS
    assert "first runs: night 2008-01-01: started data_lake__bronze, tickit__redshift_load" in (
        printed
    )
    assert "Ready: MWAA environment" in printed and "deploy: 0 uploaded" not in printed
    # infra/pipelines.yaml is over the inline limit: the new stack gets its MwaaBucket
    # first, then the template goes through that bucket (an update of the new stack).
    assert "gets its MwaaBucket first, to hold it" in printed
    assert f"pipelines stack: stack {night[0]}: UPDATE_COMPLETE" in printed
    assert "validating DAGs (the run's own parse of dags/: 6 DAG(s))" in printed


def test_every_dag_ran_and_succeeded_on_the_first_night(night):
    _, pipeline, results, _, _, catalog = night
    assert sorted(r.dag_id for r in results) == sorted(catalog), night[3][-3000:]
    failed = {r.dag_id: [t.task_id for t in r.failed] for r in results if r.failed}
    assert not failed, failed
    queued = local_up.triggered(dict(pipeline.names.outputs)["MwaaEnvironmentName"])
    assert queued == []  # the run layer ran what deploy up queued: none is left


def test_mwaa_lists_the_first_runs_as_succeeded_for_the_sample_night(night):
    from devkit.emulator.standins import fake_mwaa

    _, pipeline, _, _, _, _ = night
    api = fake_mwaa.process_fake().airflow[dict(pipeline.names.outputs)["MwaaEnvironmentName"]]
    assert {(r["dag_id"], r["state"]) for r in api.runs} == {
        ("data_lake__bronze", "success"),
        ("tickit__redshift_load", "success"),
    }
    assert {r["data_interval_start"] for r in api.runs} == {"2008-01-01T00:00:00+00:00"}
    assert set(api.paused.values()) == {False}


def test_the_stack_the_buckets_and_the_warehouse_hold_the_night(night, local_aws):
    stack, pipeline, _, _, _, _ = night
    outputs = dict(pipeline.names.outputs)
    cfn = local_aws.client("cloudformation")
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"].endswith("_COMPLETE")
    mwaa = set(local_aws.list_keys(outputs["MwaaBucket"], "dags/"))
    assert {"dags/tickit__redshift_load.py", "dags/data_lake__gold.py"} <= mwaa
    landing = set(local_aws.list_keys(outputs["LandingBucket"]))
    assert "tickit/sales/ds=2008-01-01/_SUCCESS" in landing  # deploy up's sample night
    lake = local_aws.list_keys(outputs["LakeBucket"], "gold/")
    assert any(key.endswith(".parquet") for key in lake)
    (sales,) = pipeline.query("SELECT COUNT(*) FROM tickit.sales")[0]
    assert sales > 0


def test_every_access_of_the_administrator_and_the_deploy_role_is_allowed(night, local_aws):
    stack, pipeline, _, _, records, _ = night
    report = local_up.check_set_up(records, local_aws, stack, dict(pipeline.names.outputs))
    assert report.ok, report.problems()
    admin = set(report.roles[recorder.ADMINISTRATOR].used)
    deploy = set(report.roles[local_up.DEPLOY_ROLE].used)
    assert {"cloudformation:CreateChangeSet", "s3:PutObject", "airflow:InvokeRestApi"} <= admin
    assert {"s3:PutObject", "airflow:UpdateEnvironment", "airflow:InvokeRestApi"} <= deploy


def test_the_runs_accesses_are_allowed_by_the_stacks_roles(night):
    pipeline = night[1]
    report = pipeline.check_iam(everything=True)
    assert report.ok, report.problems()
    assert report.roles["MwaaExecutionRole"].used


def test_airflow_reads_every_variable_through_the_templates_backend(night, local_aws):
    stack, pipeline = night[:2]
    outputs = dict(pipeline.names.outputs)
    path, kwargs = secrets_backend(local_aws, stack)
    backend = import_string(path)(**kwargs)
    usage = local_up.usage(night[5])  # the run's own parse, as the settings step had it
    assert usage.variables
    for name in usage.variables:
        assert backend.get_variable(name) == outputs[output_key(name)], name


def test_the_bootstrap_made_the_pipeline_and_datahub_users_no_superusers(night, local_aws):
    outputs = dict(night[1].names.outputs)
    users = (pipeline_user(outputs["MwaaExecutionRoleArn"]), "datahub_ingestion")
    conn = local_aws.postgres.connect(outputs["RedshiftDatabase"])
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT rolname, rolsuper FROM pg_roles WHERE rolname = ANY(%s)", (list(users),)
            )
            assert sorted(cur.fetchall()) == sorted((user, False) for user in users)
    finally:
        conn.close()
    assert "database bootstrap: 3 SQL file(s) applied" in night[3]


def test_the_roles_map_to_their_logical_ids(night, local_aws):
    roles = local_up.role_logical_ids(local_aws, night[0])
    assert {"MwaaExecutionRole", "DeployRole", "CloudFormationExecutionRole"} <= set(roles.values())


def test_the_runs_names_are_the_stacks_outputs(night):
    outputs = dict(night[1].names.outputs)
    names = StackNames.of(outputs)
    assert names.project == night[0] and not names.tag  # no tag: read from the outputs
    assert (names.landing_bucket, names.lake_bucket, names.bucket("mwaa")) == (
        outputs["LandingBucket"],
        outputs["LakeBucket"],
        outputs["MwaaBucket"],
    )
    assert outputs["AlertsSnsTopicArn"].endswith(":" + names.bucket("airflow-alerts"))
    assert names.database("dev") == outputs["RedshiftDatabase"]
    assert names.database("lake_silver") == outputs["LakeSilverDatabase"]


def test_the_runs_settings_are_what_the_settings_step_wrote(night, local_aws):
    import json
    import re

    outputs = dict(night[1].names.outputs)
    settings = local_up.stack_settings(local_aws, outputs)
    assert settings.variables["landing_bucket"] == outputs["LandingBucket"]
    assert settings.variables["lake_gold_database"] == outputs["LakeGoldDatabase"]
    kwargs = json.loads(settings.backend_env()["AIRFLOW__SECRETS__BACKEND_KWARGS"])
    assert kwargs["variables_prefix"] == outputs["AirflowVariablesPrefix"]
    pattern = kwargs["connections_lookup_pattern"]
    assert not re.match(pattern, "redshift_default")  # the emulation's PostgreSQL
    assert re.match(pattern, "aws_default") and re.match(pattern, "aws_redshift_iam_role")
    secrets = local_aws.client("secretsmanager")
    written = secrets.get_secret_value(
        SecretId=f"{outputs['AirflowConnectionsPrefix']}/redshift_default"
    )  # the stack's, for MWAA: IAM authentication to the workgroup
    assert json.loads(written["SecretString"])["extra"]["is_serverless"] is True


def test_a_second_up_changes_nothing(night, local_aws):
    stack, pipeline, *_, catalog = night
    printed: list[str] = []
    again = local_up.up(local_aws, stack, None, printed.append, NIGHT, catalog=catalog)
    assert again == dict(pipeline.names.outputs)
    lines = "\n".join(printed)
    for unchanged in (
        "deploy: 0 uploaded",
        "environment unchanged",
        "settings: 0 created, 0 updated",
        ": 0 uploaded, 18 unchanged in s3://",  # the sample night
        "unpause: 0 unpaused, 6 already running",
        "started none; already there: data_lake__bronze, tickit__redshift_load",
    ):
        assert unchanged in lines, unchanged
    assert local_up.triggered(again["MwaaEnvironmentName"]) == []
