"""DataHub: the ECS ingestion task (run for real by devkit/emulator/ecs/ingestion.py), lineage.

Provisions what the infrastructure creates on AWS: the ECS cluster, the
ingestion task definition (the pinned image, entry point `/bin/sh -c`, awslogs),
a VPC subnet and security group for awsvpc, and the recipes under the MWAA
bucket's `dags/recipes/` prefix, where the deploy tool puts them. Locally the task
definition's environment switches the transformers to OVERWRITE semantics (PATCH
needs a DataHub server) and points the file sink at this pipeline's folder.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

from deploy.sources import walk_files
from devkit.domains import LocalDomain
from devkit.iam.recorder import role_arn
from devkit.paths import RECIPES_DIR
from devkit.paths import REPO as ROOT
from lakehouse.conventions import Var
from lakehouse.datahub import CONTAINER_NAME, LOG_STREAM_PREFIX, RECIPES_URI_ENV

# The official ingestion image, full variant (the slim one lacks the athena extra),
# pinned to the CLI version of requirements/datahub/lock.txt. On AWS it belongs to
# the task definition (docs/datahub.md); here the local task definition uses it.
INGESTION_IMAGE = "acryldata/datahub-ingestion:v1.7.0.17"

# What selects this family's tests in the gate (devkit/domains/families.py reads these
# literals without importing this module): recipes on ECS, the CLI's own venv, the
# reader grants it is given on TICKIT's tables, lineage.
GATE_PATHS = (
    "dags/datahub__*",
    "dags/lakehouse/datahub.py",
    "dags/lakehouse/tickit.py",
    "recipes/**",
    "sql/tickit/ddl/**",  # its reader grants are tested on TICKIT's tables
    "requirements/datahub/**",
    "devkit/datahub/**",
    "devkit/domains/datahub.py",
    "devkit/domains/lineage.py",
    "devkit/emulator/ecs/**",
    # The database bootstrap: every local pipeline with the warehouse runs it.
    "deploy/redshift_bootstrap.py",
    "sql/redshift_bootstrap/**",
    "devkit/emulator/redshift/users.py",
)
GATE_TESTS = (
    "tests/dags/test_datahub__*.py",
    "tests/devkit/datahub/**",
    "tests/recipes/**",
    "tests/sql/test_datahub_*.py",
)


# The names infra/pipelines.yaml gives the ECS cluster, task family and log group,
# with the local stack name (LocalNames.project).
def cluster(names) -> str:
    return f"{names.project}-datahub"


def family(names) -> str:
    return f"{names.project}-datahub-ingestion"


def log_group(names) -> str:
    return f"/ecs/{names.project}/datahub-ingestion"


def output_dir(env) -> Path:
    home = Path(os.environ.get("AIRFLOW_HOME", ROOT / ".airflow"))
    return home / "datahub" / (env.names.tag or "local")


def upload_recipes(env) -> str:
    """recipes/ where the deploy tool puts it on AWS: the MWAA bucket's dags/recipes/."""
    bucket = env.names.bucket("mwaa")
    env.aws.create_bucket(bucket)  # also the data_lake domain's: creating it again is a no-op
    for relative, path in walk_files(RECIPES_DIR):  # what the deploy ships, script included
        env.aws.put_object(bucket, f"dags/recipes/{relative}", path.read_bytes())
    return bucket


# Never contacted: the local ingestion's sink is a file.
LOCAL_GMS_URL = "http://127.0.0.1:9"


def create_network(env) -> tuple[str, str]:
    """(subnet, security group) the ingestion tasks run in, as the stack creates them."""
    ec2 = env.aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(
        GroupName=f"datahub-ingestion-{env.names.tag or 'local'}",
        Description="DataHub ingestion tasks: egress only",
        VpcId=vpc,
    )["GroupId"]
    return subnet, group


def container_environment(env, bucket: str) -> dict[str, str]:
    """The ingestion container's environment, as the stack's task definition sets it."""
    return {
        RECIPES_URI_ENV: f"s3://{bucket}/dags/recipes",
        "DATAHUB_GMS_URL": LOCAL_GMS_URL,
        "AWS_REGION": env.aws.region,
        "AWS_ACCOUNT_ID": env.aws.account_id,
        "DEPLOY_ENV": "local",
        "DATAHUB_TELEMETRY_ENABLED": "false",
        "LAKE_BUCKET": env.names.lake_bucket,
        # As the stack's task definition: its Glue databases are `<stack>_...`.
        "LAKEHOUSE_GLUE_DATABASE_PREFIX": env.names.project.replace("-", "_") + "_",
        # Local only: the one switch the recipes read; PATCH needs a DataHub server.
        "DATAHUB_TRANSFORMER_SEMANTICS": "OVERWRITE",
        "DATAHUB_LOCAL_OUTPUT_DIR": str(output_dir(env)),
        # Placeholders so the Redshift recipe validates; it is not run locally.
        "REDSHIFT_HOST_PORT": "127.0.0.1:5439",
        "REDSHIFT_DATABASE": env.names.database("dev"),
        "REDSHIFT_USERNAME": "local",
        "REDSHIFT_PASSWORD": "local-placeholder",  # pragma: allowlist secret
    }


def register_task_definition(env, environment: dict[str, str]) -> None:
    """The DataHub ingestion task, one container running the CLI (ecs_ingestion runs it)."""
    env.aws.client("ecs").register_task_definition(
        family=family(env.names),
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="1024",
        memory="4096",
        taskRoleArn=role_arn("DataHubTaskRole", env.aws.account_id),
        executionRoleArn=role_arn("DataHubTaskExecutionRole", env.aws.account_id),
        containerDefinitions=[
            {
                "name": CONTAINER_NAME,
                "image": INGESTION_IMAGE,
                "essential": True,
                "cpu": 1024,
                "memory": 4096,
                "entryPoint": ["/bin/sh", "-c"],
                "environment": [{"name": k, "value": v} for k, v in environment.items()],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": log_group(env.names),
                        "awslogs-region": env.aws.region,
                        "awslogs-stream-prefix": LOG_STREAM_PREFIX,
                    },
                },
            }
        ],
    )


class DataHub(LocalDomain):
    name = "datahub"
    needs = ("lineage",)  # the plugin's lineage of every DAG run (devkit/domains/lineage.py)

    def __init__(self) -> None:
        self._network: dict[str, tuple[str, str]] = {}  # per pipeline: (subnet, group)

    def provision(self, env) -> None:
        from devkit.emulator.ecs import ingestion as ecs_ingestion

        ecs_ingestion.warm_up()  # the DataHub CLI imports in the background, meanwhile
        shutil.rmtree(output_dir(env), ignore_errors=True)
        output_dir(env).mkdir(parents=True, exist_ok=True)
        bucket = upload_recipes(env)
        self._network[env.names.tag] = create_network(env)
        env.aws.client("ecs").create_cluster(clusterName=cluster(env.names))
        register_task_definition(env, container_environment(env, bucket))
        logs = env.aws.client("logs")
        if not logs.describe_log_groups(logGroupNamePrefix=log_group(env.names))["logGroups"]:
            logs.create_log_group(logGroupName=log_group(env.names))

    def variables(self, env) -> dict[str, str]:
        subnet, group = self._network[env.names.tag]
        return {
            Var.DATAHUB_ECS_CLUSTER: cluster(env.names),
            Var.DATAHUB_TASK_DEFINITION: family(env.names),
            Var.DATAHUB_SUBNETS: subnet,
            Var.DATAHUB_SECURITY_GROUPS: group,
            Var.DATAHUB_LOG_GROUP: log_group(env.names),
            # Configured: the ingestion runs (its sink is a local file, never this URL).
            Var.DATAHUB_GMS_URL: LOCAL_GMS_URL,
        }

    def effects(self, env) -> dict[str, object]:
        found: dict[str, object] = {}
        for path in sorted(output_dir(env).glob("*.json")):
            summary = summarize(json.loads(path.read_text() or "[]"))
            found[f"DataHub ingestion {path.stem} (local file sink)"] = {
                "entities": summary["entities"],
                "tags": summary["tags"],
                "owners": summary["owners"],
                "terms": summary["terms"],
                "file": str(path),
            }
        found["DataHub recipes validated, not run (no Redshift/Athena endpoint locally)"] = [
            "redshift.yml",
            "athena.yml",
        ]
        return found


def short_urn(urn: str) -> str:
    """`urn:li:dataset:(urn:li:dataPlatform:glue,db.table,PROD)` -> `glue:db.table`."""
    if urn.startswith("urn:li:dataset:("):
        platform, name = urn[len("urn:li:dataset:(") :].split(",")[:2]
        return f"{platform.rsplit(':', 1)[-1]}:{name}"
    return urn


def record_aspects(records: list[dict]):
    """(entity urn, entity type, aspect name, aspect dict) for MCPs and MCE snapshots."""
    for record in records:
        if "entityUrn" in record:
            aspect = record.get("aspect") or {}
            value = aspect.get("json") or (
                json.loads(aspect["value"]) if isinstance(aspect.get("value"), str) else {}
            )
            yield record["entityUrn"], record.get("entityType"), record.get("aspectName"), value
        elif "proposedSnapshot" in record:
            ((kind, snapshot),) = record["proposedSnapshot"].items()
            entity = kind.rsplit(".", 1)[-1].removesuffix("Snapshot")
            entity = entity[0].lower() + entity[1:]
            for item in snapshot.get("aspects", []):
                ((aspect_kind, value),) = item.items()
                name = aspect_kind.rsplit(".", 1)[-1].removesuffix("Class")
                yield snapshot["urn"], entity, name[0].lower() + name[1:], value


def summarize(records: list[dict]) -> dict:
    """Entities by type, and per dataset its schema fields, tags, owners and terms."""
    entities: dict[str, set[str]] = {}
    datasets: dict[str, dict] = {}
    for urn, kind, aspect, value in record_aspects(records):
        entities.setdefault(kind or urn.split(":")[2], set()).add(urn)
        if kind != "dataset":
            continue
        info = datasets.setdefault(urn, {"fields": [], "tags": [], "owners": [], "terms": []})
        if aspect == "schemaMetadata":
            info["fields"] = [f["fieldPath"] for f in value.get("fields", [])]
        elif aspect == "globalTags":
            info["tags"] = sorted(t["tag"] for t in value.get("tags", []))
        elif aspect == "ownership":
            info["owners"] = sorted(f"{o['owner']} ({o['type']})" for o in value.get("owners", []))
        elif aspect == "glossaryTerms":
            info["terms"] = sorted(t["urn"] for t in value.get("terms", []))
    counted = Counter({kind: len(urns) for kind, urns in entities.items()})
    return {
        "entities": dict(sorted(counted.items())),
        "datasets": datasets,
        "tags": sorted({t for d in datasets.values() for t in d["tags"]}),
        "owners": sorted({o for d in datasets.values() for o in d["owners"]}),
        "terms": {short_urn(u): d["terms"] for u, d in sorted(datasets.items()) if d["terms"]},
    }


DOMAIN = DataHub()
