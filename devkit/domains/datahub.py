"""DataHub: the ECS ingestion task (run for real by devkit/emulator/ecs_ingestion.py), lineage.

Provisions what the infrastructure creates on AWS: the ECS cluster, the
ingestion task definition (the pinned image, entry point `/bin/sh -c`, awslogs),
a VPC subnet and security group for awsvpc, and the recipes under a bucket's
`dags/recipes/` prefix (the MWAA bucket's stand-in). Locally the task
definition's environment switches the transformers to OVERWRITE semantics (PATCH
needs a DataHub server) and points the file sink at this pipeline's folder.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

from devkit.airflow_local import LINEAGE_KILL_SWITCH
from devkit.domains import LocalDomain
from devkit.paths import REPO as ROOT
from lakehouse.conventions import Var

RECIPES = ROOT / "recipes"
# The official ingestion image, full variant (the slim one lacks the athena extra),
# pinned to the CLI version of requirements/datahub/lock.txt. On AWS it belongs to
# the task definition (docs/datahub.md); here the local task definition uses it.
INGESTION_IMAGE = "acryldata/datahub-ingestion:v1.7.0.17"
CLUSTER = "datahub"
TASK_FAMILY = "datahub-ingestion"
CONTAINER = "datahub-ingestion"
LOG_GROUP = "/ecs/datahub-ingestion"
LOG_STREAM_PREFIX = "datahub"
LINEAGE_CONN_ID = "datahub_file_default"


def output_dir(env) -> Path:
    home = Path(os.environ.get("AIRFLOW_HOME", ROOT / ".airflow"))
    return home / "datahub" / (env.names.tag or "local")


def lineage_file() -> Path:
    """Where the Airflow plugin's `datahub-file` connection writes (one per Airflow home)."""
    return Path(os.environ.get("AIRFLOW_HOME", ROOT / ".airflow")) / "datahub" / "lineage.json"


class DataHub(LocalDomain):
    name = "datahub"

    def __init__(self) -> None:
        self._network: dict[str, tuple[str, str]] = {}  # per pipeline: (subnet, group)

    def provision(self, env) -> None:
        from devkit import lineage
        from devkit.emulator import ecs_ingestion

        ecs_ingestion.warm_up()  # the DataHub CLI imports in the background, meanwhile
        lineage.install()  # local-only patches so the plugin captures lineage (devkit/lineage.py)
        aws = env.aws
        shutil.rmtree(output_dir(env), ignore_errors=True)
        if not env.names.tag:  # the run command: lineage of this run only
            lineage_file().unlink(missing_ok=True)
        output_dir(env).mkdir(parents=True, exist_ok=True)
        bucket = env.names.bucket("datahub-recipes")
        aws.create_bucket(bucket)
        for path in sorted(RECIPES.rglob("*.yml")):
            aws.put_object(bucket, f"dags/recipes/{path.relative_to(RECIPES)}", path.read_bytes())
        ec2 = aws.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(
            GroupName=f"datahub-ingestion-{env.names.tag or 'local'}",
            Description="DataHub ingestion tasks: egress only",
            VpcId=vpc,
        )["GroupId"]
        self._network[env.names.tag] = (subnet, group)
        ecs = aws.client("ecs")
        ecs.create_cluster(clusterName=self._cluster(env))
        role = f"arn:aws:iam::{aws.account_id}:role"
        suffix = f"_{env.names.tag}" if env.names.tag else ""
        environment = {
            "DATAHUB_RECIPES_S3_URI": f"s3://{bucket}/dags/recipes",
            "DATAHUB_GMS_URL": "http://127.0.0.1:9",  # never contacted: the sink is a file
            "AWS_REGION": aws.region,
            "AWS_ACCOUNT_ID": aws.account_id,
            "DEPLOY_ENV": "local",
            "LAKE_BUCKET": env.names.lake_bucket,
            "LAKEHOUSE_GLUE_DATABASE_SUFFIX": suffix,
            # Local only: the one switch the recipes read; PATCH needs a DataHub server.
            "DATAHUB_TRANSFORMER_SEMANTICS": "OVERWRITE",
            "DATAHUB_LOCAL_OUTPUT_DIR": str(output_dir(env)),
            # Placeholders so the Redshift recipe validates; it is not run locally.
            "REDSHIFT_HOST_PORT": "127.0.0.1:5439",
            "REDSHIFT_DATABASE": env.names.database("dev"),
            "REDSHIFT_USERNAME": "local",
            "REDSHIFT_PASSWORD": "local-placeholder",  # pragma: allowlist secret
        }
        ecs.register_task_definition(
            family=self._family(env),
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="1024",
            memory="4096",
            taskRoleArn=f"{role}/datahub-ingestion-task",
            executionRoleArn=f"{role}/datahub-ingestion-execution",
            containerDefinitions=[
                {
                    "name": CONTAINER,
                    "image": INGESTION_IMAGE,
                    "essential": True,
                    "cpu": 1024,
                    "memory": 4096,
                    "entryPoint": ["/bin/sh", "-c"],
                    "environment": [{"name": k, "value": v} for k, v in environment.items()],
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {
                            "awslogs-group": LOG_GROUP,
                            "awslogs-region": aws.region,
                            "awslogs-stream-prefix": LOG_STREAM_PREFIX,
                        },
                    },
                }
            ],
        )
        logs = aws.client("logs")
        if not logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"]:
            logs.create_log_group(logGroupName=LOG_GROUP)

    def _cluster(self, env) -> str:
        return f"{CLUSTER}-{env.names.tag}" if env.names.tag else CLUSTER

    def _family(self, env) -> str:
        return f"{TASK_FAMILY}-{env.names.tag}" if env.names.tag else TASK_FAMILY

    def variables(self, env) -> dict[str, str]:
        subnet, group = self._network[env.names.tag]
        return {
            Var.DATAHUB_ECS_CLUSTER: self._cluster(env),
            Var.DATAHUB_TASK_DEFINITION: self._family(env),
            Var.DATAHUB_SUBNETS: subnet,
            Var.DATAHUB_SECURITY_GROUPS: group,
            Var.DATAHUB_LOG_GROUP: LOG_GROUP,
            # The plugin's kill switch (on by default locally): lineage where this domain runs.
            LINEAGE_KILL_SWITCH.removeprefix("AIRFLOW_VAR_").lower(): "false",
        }

    def connections(self, env) -> dict[str, dict]:
        # Read by the DataHub Airflow plugin (AIRFLOW__DATAHUB__CONN_ID), not by a DAG.
        return {LINEAGE_CONN_ID: {"conn_type": "datahub-file", "host": str(lineage_file())}}

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
        edges = lineage_edges(lineage_file(), env.names.tag)
        enabled = os.environ.get("AIRFLOW__DATAHUB__ENABLED", "").lower() == "true"
        off = "plugin off (AIRFLOW__DATAHUB__ENABLED=False was exported)"
        if not edges:
            found["DataHub lineage (Airflow plugin, datahub-file)"] = (
                f"no edges with datasets in {lineage_file()}" if enabled else off
            )
            return found
        # The TICKIT load (landing S3 -> staging -> targets) and UNLOAD (targets -> gold S3).
        redshift = [(a, b) for a, b in edges if "redshift:" in a or "redshift:" in b]
        found["DataHub lineage of the TICKIT load and UNLOAD (Airflow plugin)"] = [
            f"{a} -> {b}" for a, b in redshift
        ]
        found["DataHub lineage, other edges (checks, bronze copies, Athena reads)"] = (
            f"{len(edges) - len(redshift)} more in {lineage_file()}"
        )
        return found


def _short(urn: str) -> str:
    """`urn:li:dataset:(urn:li:dataPlatform:glue,db.table,PROD)` -> `glue:db.table`."""
    if urn.startswith("urn:li:dataset:("):
        platform, name = urn[len("urn:li:dataset:(") :].split(",")[:2]
        return f"{platform.rsplit(':', 1)[-1]}:{name}"
    return urn


def _aspects(records: list[dict]):
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
    for urn, kind, aspect, value in _aspects(records):
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
        "terms": {_short(u): d["terms"] for u, d in sorted(datasets.items()) if d["terms"]},
    }


def lineage_edges(path: Path, tag: str = "") -> list[tuple[str, str]]:
    """(input, output) pairs from the plugin's dataJobInputOutput aspects, shortened.

    With a pipeline `tag` (tests share one file), only edges touching that
    pipeline's resources (`dev_<tag>`, `-<tag>` buckets' tables, ...) are kept.
    """
    if not path.is_file():
        return []
    try:
        records = json.loads(path.read_text() or "[]")
    except json.JSONDecodeError:
        return []
    edges: set[tuple[str, str]] = set()
    for _urn, _kind, aspect, value in _aspects(records):
        if aspect == "dataJobInputOutput":
            for source in value.get("inputDatasets", []):
                for target in value.get("outputDatasets", []):
                    if not tag or tag in source or tag in target:
                        edges.add((_short(source), _short(target)))
    return sorted(edges)


DOMAIN = DataHub()
