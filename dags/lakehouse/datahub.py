"""The DataHub ingestion task: its container, its log stream and the command it runs.

Defined once, here: the DAG builds its RunTask requests from these names, and the
local DataHub domain (devkit/domains/datahub.py) registers its task definition
with the same ones, as infra/pipelines.yaml does on AWS. Nothing here does I/O.
"""

from __future__ import annotations

CONTAINER_NAME = "datahub-ingestion"  # the task definition's one container
LOG_STREAM_PREFIX = "datahub"  # its awslogs-stream-prefix
GLOSSARY_RECIPE = "glossary/recipe.yml"
SOURCE_RECIPES = ("glue.yml", "redshift.yml", "athena.yml", "s3.yml", "s3_raw.yml")

# The container's script, shipped with the recipes (recipes/fetch_and_run.py, deployed
# to the bucket's dags/recipes/): it copies the recipes folder and runs one recipe.
RECIPES_URI_ENV = "DATAHUB_RECIPES_S3_URI"  # the task definition's environment
SCRIPT = "fetch_and_run.py"
# The image has Python and boto3 but no AWS CLI: one download brings the script.
DOWNLOAD_SCRIPT = (
    "python -c 'import boto3, os; "
    f'bucket, _, prefix = os.environ["{RECIPES_URI_ENV}"][5:].partition("/"); '
    f'boto3.client("s3").download_file(bucket, prefix + "/{SCRIPT}", "{SCRIPT}")\''
)


def ingest_command(recipe: str) -> list[str]:
    """The container command (the task definition's entry point is `/bin/sh -c`).

    `exec`: the script replaces the shell and then itself with the DataHub CLI,
    so the CLI's exit code is the container's.
    """
    return [f"{DOWNLOAD_SCRIPT} && exec python {SCRIPT} {recipe}"]


def task_id_for(recipe: str) -> str:
    """`glossary/recipe.yml` -> `ingest_glossary`, `glue.yml` -> `ingest_glue`."""
    return "ingest_" + recipe.removesuffix(".yml").replace("/recipe", "").replace("/", "_")


# The value of Variable datahub_gms_url while no DataHub server is configured (the
# stack's output DatahubGmsUrl when its parameter DataHubGmsUrl is empty).
NO_SERVER = "none"


def server_configured(gms_url: str) -> bool:
    """The ingestion's gate: False (skip every ingestion task) without a server."""
    if gms_url.strip() in ("", NO_SERVER):
        print(
            "DataHub: no server configured (Variable datahub_gms_url is "
            f"{gms_url.strip() or 'empty'!r}); skipping the ingestion. Turn it on: set the "
            "stack parameter DataHubGmsUrl and rerun `python -m deploy up` (docs/datahub.md)"
        )
        return False
    return True
