"""What every pipeline shares: the AWS connection, landing and lake buckets, alerts.

The stack makes the buckets and the topic; the settings step writes these Variables
and `aws_default`: a pipeline reads those through the secrets backend
(devkit/run/local_env.py), these values stand only where no stack wrote one.
"""

from __future__ import annotations

from devkit.domains import LocalDomain
from lakehouse.conventions import Conn, Var

MWAA_ROLE = "MwaaExecutionRole"  # infra/pipelines.yaml logical id


class House(LocalDomain):
    name = "house"

    def variables(self, env) -> dict[str, str]:
        aws = env.aws
        return {
            Var.LANDING_BUCKET: env.names.landing_bucket,
            Var.LAKE_BUCKET: env.names.lake_bucket,
            Var.GLUE_CRAWLER_ROLE_ARN: f"arn:aws:iam::{aws.account_id}:role/local-glue-crawler",
            Var.ATHENA_WORKGROUP: "primary",
            Var.ALERTS_TOPIC_ARN: (
                f"arn:aws:sns:{aws.region}:{aws.account_id}:{env.names.bucket('airflow-alerts')}"
            ),
        }

    def connections(self, env) -> dict[str, dict]:
        # Airflow tasks sign as the MWAA execution role: their calls are checked against it.
        return {Conn.AWS: env.aws.aws_connection(principal=MWAA_ROLE)}


DOMAIN = House()
