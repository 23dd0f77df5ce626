"""
### DataHub: nightly metadata ingestion of the lakehouse

Catalogs what the nightly pipelines left behind: the business glossary first
(so the terms the recipes attach exist), then one ECS Fargate task per source
recipe (Glue, Redshift, Athena, the S3 lake and its raw extracts), each running
the DataHub CLI from the official ingestion image pinned in the task definition
(docs/datahub.md).

**Scheduled by Assets, not by clock**: it runs when the TICKIT gold aggregate
was unloaded and crawled (`SALES_BY_CATEGORY`), the last step that changes the
Glue catalog, so it never catalogs a half-finished night and needs no guess at
how long the pipelines take. The Glue recipe's database pattern takes in the
data lake's bronze/silver/gold databases whenever they exist; add the lake's
final Asset to the schedule with `|` once it is settled.

**How the recipe reaches the container**: the deploy tool ships `recipes/` to
the bucket's `dags/recipes/`; the task definition (entry point `/bin/sh -c`,
environment `DATAHUB_RECIPES_S3_URI`) lets the command download the script
shipped with them, `recipes/fetch_and_run.py`, which copies that folder and runs
`datahub ingest -c <recipe> --strict-warnings` (`lakehouse.datahub`). The
overrides carry only that command: credentials come from the task role and the
task definition's Secrets Manager references. A failed or partial ingestion
(failures, or any warning) exits non-zero, which fails the task; the CLI's
summary (events produced, warnings, failures) comes back to the task log from
CloudWatch.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.amazon.aws.operators.ecs import EcsRunTaskOperator
from airflow.providers.standard.operators.python import ShortCircuitOperator
from airflow.sdk import DAG, chain

from lakehouse.conventions import (
    CATCHUP,
    DEFAULT_ARGS,
    MAX_ACTIVE_RUNS,
    START_DATE,
    Conn,
    Tag,
    Var,
    var,
)
from lakehouse.datahub import (
    CONTAINER_NAME,
    GLOSSARY_RECIPE,
    LOG_STREAM_PREFIX,
    SOURCE_RECIPES,
    ingest_command,
    server_configured,
    task_id_for,
)
from lakehouse.datahub_ingestion import DataHubIngestionOperator
from lakehouse.tickit import SALES_BY_CATEGORY

DAG_ID = "datahub__ingest_metadata"


with DAG(
    dag_id=DAG_ID,
    description="Ingest the lakehouse metadata into DataHub: glossary, Glue, Redshift, Athena, S3",
    doc_md=__doc__,
    schedule=[SALES_BY_CATEGORY],
    start_date=START_DATE,
    catchup=CATCHUP,
    max_active_runs=MAX_ACTIVE_RUNS,
    dagrun_timeout=timedelta(hours=2),
    default_args=DEFAULT_ARGS,
    tags=[Tag.PROJECT, Tag.DATAHUB, Tag.ECS, Tag.GLUE, Tag.REDSHIFT, Tag.ATHENA, Tag.NIGHTLY],
    # Subnets and security groups are comma-separated Variables; native rendering
    # turns their `.split(',')` into the lists RunTask wants.
    render_template_as_native_obj=True,
) as dag:

    def ingest(recipe: str) -> EcsRunTaskOperator:
        return DataHubIngestionOperator(
            task_id=task_id_for(recipe),
            cluster=var(Var.DATAHUB_ECS_CLUSTER),
            task_definition=var(Var.DATAHUB_TASK_DEFINITION),
            launch_type="FARGATE",
            overrides={
                "containerOverrides": [{"name": CONTAINER_NAME, "command": ingest_command(recipe)}]
            },
            network_configuration={
                "awsvpcConfiguration": {
                    "subnets": "{{ var.value.%s.split(',') }}" % Var.DATAHUB_SUBNETS.value,
                    "securityGroups": "{{ var.value.%s.split(',') }}"
                    % Var.DATAHUB_SECURITY_GROUPS.value,
                    "assignPublicIp": "DISABLED",
                }
            },
            container_name=CONTAINER_NAME,
            awslogs_group=var(Var.DATAHUB_LOG_GROUP),
            awslogs_stream_prefix=f"{LOG_STREAM_PREFIX}/{CONTAINER_NAME}",
            number_logs_exception=40,
            aws_conn_id=Conn.AWS,
            deferrable=True,
            waiter_delay=30,
            waiter_max_attempts=120,  # one hour
            propagate_tags="TASK_DEFINITION",
        )

    # No DataHub server yet (Variable datahub_gms_url is `none`): every ingestion is
    # skipped with that one reason, and the run is green (docs/datahub.md, "Turning it on").
    datahub_configured = ShortCircuitOperator(
        task_id="datahub_configured",
        python_callable=server_configured,
        op_args=[var(Var.DATAHUB_GMS_URL)],
    )
    chain(
        datahub_configured,
        ingest(GLOSSARY_RECIPE),
        [ingest(recipe) for recipe in SOURCE_RECIPES],
    )


if __name__ == "__main__":
    dag.test()
