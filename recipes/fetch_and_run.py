"""The DataHub ingestion container's command: fetch the recipes, run one, exit with its code.

The ECS task of `datahub__ingest_metadata` runs `python fetch_and_run.py <recipe>`
(lakehouse.datahub.ingest_command). It copies everything under
$DATAHUB_RECIPES_S3_URI (the MWAA bucket's dags/recipes/, where the deploy tool
ships recipes/) into ./recipes, then becomes `datahub ingest -c <recipe>
--strict-warnings` run from that folder, where the glossary recipe finds its
glossary file: the CLI's exit code is the container's. The ingestion image's own
Python runs it, so it needs only the standard library and boto3.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

RECIPES_URI_ENV = "DATAHUB_RECIPES_S3_URI"
LOCAL_FOLDER = Path("recipes")
USAGE = "usage: python fetch_and_run.py <recipe, relative to recipes/, e.g. glue.yml>"


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/dags/recipes/` -> (`bucket`, `dags/recipes`)."""
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise SystemExit(f"{RECIPES_URI_ENV}={uri!r} is not s3://<bucket>/<prefix>")
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix.strip("/")


def fetch(uri: str, folder: Path, s3=None) -> list[Path]:
    """Copy every object under `uri` into `folder`, keeping the hierarchy."""
    if s3 is None:
        import boto3

        s3 = boto3.client("s3")
    bucket, prefix = split_s3_uri(uri)
    written = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            target = folder / item["Key"][len(prefix) + 1 :]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(target))
            written.append(target)
    if not written:
        raise SystemExit(f"no recipes under {uri}: has the deploy shipped recipes/?")
    return written


def ingest_args(recipe: str) -> list[str]:
    """The DataHub CLI's arguments: any warning fails the ingestion, like a failure."""
    return ["datahub", "ingest", "-c", recipe, "--strict-warnings"]


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit(USAGE)
    (recipe,) = argv
    uri = os.environ.get(RECIPES_URI_ENV)
    if not uri:
        raise SystemExit(f"{RECIPES_URI_ENV} is not set (the task definition's environment)")
    fetch(uri, LOCAL_FOLDER)
    if not (LOCAL_FOLDER / recipe).is_file():
        raise SystemExit(f"recipe {recipe} not found under {uri}")
    print(f"fetch_and_run: recipes from {uri}; datahub ingest -c {recipe}", flush=True)
    os.chdir(LOCAL_FOLDER)
    os.execvp("datahub", ingest_args(recipe))


if __name__ == "__main__":
    main(sys.argv[1:])
