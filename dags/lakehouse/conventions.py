"""House conventions every DAG uses: one place for owners, tags, defaults and alerts.

DAG files import from here instead of repeating default_args, so a policy change
is one edit. Nothing here does I/O at import time: values that differ per
environment are Jinja templates resolved when a task runs.
"""

from __future__ import annotations

import os
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

import pendulum
from airflow.providers.amazon.aws.notifications.sns import SnsNotifier
from airflow.sdk import CronDataIntervalTimetable


class Tag(StrEnum):
    """Tag taxonomy; the DAG validation tests reject tags outside it."""

    PROJECT = "mwaa-pipelines"
    TICKIT = "tickit"
    REDSHIFT = "redshift"
    DATA_LAKE = "data-lake"
    GLUE = "glue"
    ATHENA = "athena"
    NIGHTLY = "nightly"
    DATAHUB = "datahub"
    ECS = "ecs"
    SPARK = "spark"
    EMR_SERVERLESS = "emr-serverless"
    SYNTHEA = "synthea"


class Team(StrEnum):
    """Owners are teams that answer alerts, never the default `airflow`."""

    DATA_PLATFORM = "data-platform"
    ANALYTICS_ENGINEERING = "analytics-engineering"


class Setting(StrEnum):
    """A setting each environment defines, with the one line the README's table shows.

    README.md's "Variables and Connections" table is generated from the members
    (`python -m devkit.tools.settings_table --write`), and a test fails when they differ.
    """

    description: str

    def __new__(cls, value: str, description: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member


class Conn(Setting):
    """Connection ids, defined per environment (MWAA secrets backend or env vars)."""

    AWS = "aws_default", "every AWS API call of the operators; on MWAA the execution role, no keys"
    REDSHIFT_SQL = "redshift_default", "Redshift over SQL (IAM auth) for the check operators"
    # No access keys are ever rendered into COPY/UNLOAD SQL: only the role's ARN.
    REDSHIFT_S3_ROLE = (
        "aws_redshift_iam_role",
        "only `extra.role_arn`: the IAM role Redshift assumes for COPY and UNLOAD",
    )


class Var(Setting):
    """Airflow Variables the DAGs read at run time."""

    LANDING_BUCKET = "landing_bucket", "S3 bucket the nightly TICKIT and Synthea extracts land in"
    LAKE_BUCKET = "lake_bucket", "S3 bucket of the lake (bronze, silver, gold, Athena results)"
    REDSHIFT_DATABASE = "redshift_database", "Redshift database of the TICKIT tables"
    REDSHIFT_WORKGROUP = "redshift_workgroup", "Redshift Serverless workgroup (Data API target)"
    GLUE_CRAWLER_ROLE_ARN = "glue_crawler_role_arn", "IAM role the Glue crawlers run as"
    GLUE_DATABASE = "glue_database", "Glue database of the TICKIT gold table"
    ATHENA_WORKGROUP = "athena_workgroup", "Athena workgroup of the verification queries"
    ALERTS_TOPIC_ARN = "alerts_sns_topic_arn", "SNS topic every task failure is published to"
    # DataHub ingestion on ECS Fargate: the task definition (image, roles, secrets,
    # log group) is infrastructure; the DAG only names it.
    DATAHUB_ECS_CLUSTER = "datahub_ecs_cluster", "ECS cluster of the DataHub ingestion tasks"
    DATAHUB_TASK_DEFINITION = "datahub_task_definition", "the DataHub ingestion task definition"
    DATAHUB_SUBNETS = "datahub_subnets", "private subnets of the ingestion tasks, comma-separated"
    DATAHUB_SECURITY_GROUPS = (
        "datahub_security_groups",
        "security groups of the ingestion tasks, comma-separated",
    )
    DATAHUB_LOG_GROUP = "datahub_log_group", "CloudWatch log group of the ingestion container"
    DATAHUB_GMS_URL = (
        "datahub_gms_url",
        "the DataHub server's GMS URL; `none` skips the ingestion (no server configured)",
    )
    # The data lake (docs/data_lake.md): one long-lived EMR Serverless application
    # per environment, created outside the DAGs; job files under the MWAA bucket.
    MWAA_BUCKET = "mwaa_bucket", "the MWAA environment's bucket (Spark jobs under dags/spark/)"
    EMR_SERVERLESS_APPLICATION_ID = (
        "emr_serverless_application_id",
        "the long-lived EMR Serverless Spark application",
    )
    EMR_JOB_ROLE_ARN = "emr_job_role_arn", "IAM role the Spark job runs run as"
    EMR_LOG_URI = "emr_log_uri", "S3 URI of the Spark job runs' logs"
    LAKE_BRONZE_DATABASE = "lake_bronze_database", "Glue database of the lake's bronze zone"
    LAKE_SILVER_DATABASE = "lake_silver_database", "Glue database of the lake's silver zone"
    LAKE_GOLD_DATABASE = "lake_gold_database", "Glue database of the lake's gold zone"
    # Crawler names are the stack's (infra/pipelines.yaml), never written in a DAG.
    TICKIT_GOLD_CRAWLER = "tickit_gold_crawler", "Glue crawler of the TICKIT gold aggregate"
    LAKE_BRONZE_CRAWLER = "lake_bronze_crawler", "Glue crawler of the lake's bronze zone"
    LAKE_SILVER_CRAWLER = "lake_silver_crawler", "Glue crawler of the lake's silver zone"
    LAKE_GOLD_CRAWLER = "lake_gold_crawler", "Glue crawler of the lake's gold zone"


def var(name: Var) -> str:
    """Jinja for a Variable, resolved at run time (never `Variable.get` at parse time)."""
    return "{{ var.value.%s }}" % name.value


def sql_searchpath(dag_file: str) -> list[str]:
    """template_searchpath for a DAG file: `<dags>/sql` on MWAA, `<repo>/sql` locally.

    SQL lives in the repository's sql/ folder; the deploy tool ships it to the
    bucket's dags/sql/ prefix, the only place MWAA workers can read. Listing
    both lets one DAG file work in both places without touching the disk.
    """
    dags_dir = Path(os.path.abspath(dag_file)).parent  # string maths, no file-system call
    return [str(dags_dir / "sql"), str(dags_dir.parent / "sql")]


# Redshift Serverless through the Data API; a provisioned cluster would use
# cluster_identifier instead of workgroup_name (change it here, once).
# The transfer operators take this as `redshift_data_api_kwargs`: it must hold
# only where to run, since the provider adds its own poll_interval to these
# kwargs when it reads table metadata for lineage.
REDSHIFT_TARGET = {
    "database": var(Var.REDSHIFT_DATABASE),
    "workgroup_name": var(Var.REDSHIFT_WORKGROUP),
}
# RedshiftDataOperator: the same target, polled every 5 s.
REDSHIFT_DATA_API = {**REDSHIFT_TARGET, "poll_interval": 5}


def notify_failure(context) -> None:
    """Task on_failure_callback: publish the failure to the alerts topic.

    Task-level, so the message names the task and its error; runs on final
    failure only, not on retries. A fresh notifier per call, because notifiers
    render their templates in place and must not carry one task's text into
    the next.
    """
    SnsNotifier(
        aws_conn_id=Conn.AWS.value,
        target_arn=var(Var.ALERTS_TOPIC_ARN),
        subject="Airflow task failed: {{ ti.dag_id }}.{{ ti.task_id }}",
        message=(
            "Task {{ ti.task_id }} of DAG {{ ti.dag_id }} failed.\n"
            "Logical date: {{ logical_date }}\n"
            "Run: {{ run_id }}\n"
            "Error: {{ exception | default('see the task log') }}"
        ),
    )(context)


# When DAGs run (docs/dag_style.md): named schedules for the common cases. Any schedule
# Airflow accepts is allowed (a cron string, a preset, a timedelta, a timetable, Assets);
# downstream DAGs run on the Assets their upstream DAGs update, never on a guessed time.
# Each named one runs when its data interval ends, for that interval, in UTC.
NIGHTLY = CronDataIntervalTimetable("0 0 * * *", timezone="UTC")  # the day that just ended
HOURLY = CronDataIntervalTimetable("0 * * * *", timezone="UTC")  # the hour that just ended
WEEKLY = CronDataIntervalTimetable("0 0 * * 1", timezone="UTC")  # Monday 00:00, the past week


def daily_at(hour: int, minute: int = 0, timezone: str = "UTC") -> CronDataIntervalTimetable:
    """Every day at hour:minute (`daily_at(6)`: 06:00 UTC), for the 24 hours that end then."""
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(
            f"daily_at({hour}, {minute}): the hour must be 0-23 and the minute 0-59, "
            "e.g. daily_at(6) or daily_at(18, 30)"
        )
    return CronDataIntervalTimetable(f"{minute} {hour} * * *", timezone=timezone)


# The first day of the sample data; with CATCHUP off it only anchors the intervals.
# A DAG whose data begins elsewhere writes its own, with a time zone:
# `start_date=pendulum.datetime(2026, 3, 1, tz="UTC")`.
START_DATE = pendulum.datetime(2008, 1, 1, tz="UTC")
# No backfill of missed intervals on deploy or unpause: a backfill is an operator's decision
# (`airflow backfill create`), or the DAG's own, written as `catchup=True`.
CATCHUP = False
# One run at a time: runs of one DAG write the same tables and must not overlap.
MAX_ACTIVE_RUNS = 1


DEFAULT_ARGS = {
    "owner": Team.DATA_PLATFORM.value,
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "email_on_failure": False,
    "email_on_retry": False,
    "on_failure_callback": notify_failure,
}


def owned_by(team: Team) -> dict:
    """DEFAULT_ARGS for a DAG another team answers for (the default owner is DATA_PLATFORM)."""
    return {**DEFAULT_ARGS, "owner": team.value}
