"""What every pipeline shares: the AWS connection, landing and lake buckets, alerts."""

from __future__ import annotations

from devkit.domains import LocalDomain
from lakehouse.conventions import Conn, Var

MWAA_ROLE = "MwaaExecutionRole"  # infra/pipelines.yaml logical id


class House(LocalDomain):
    name = "house"

    def provision(self, env) -> None:
        for bucket in (env.names.landing_bucket, env.names.lake_bucket):
            env.aws.create_bucket(bucket)
        env.aws.client("sns").create_topic(Name=env.names.bucket("airflow-alerts"))

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
