"""Lineage: the DataHub Airflow plugin records what every task read and wrote.

No DAG of its own: the datahub domain needs it (lineage in the run command when
the DataHub DAG runs), and a test can ask for it alone, without the ECS
ingestion set-up. It turns lineage on (off by default locally,
devkit/airflow/settings.py), points the plugin's `datahub-file` connection at one
file per Airflow home, and applies the local patches (devkit/patches/, the file
emitter's among them). The lineage itself is what the plugin extracts on MWAA: no
local addition (the merge's comes from `lakehouse.redshift.RedshiftMergeOperator`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from devkit.airflow.settings import LINEAGE_ON, LINEAGE_SWITCH
from devkit.domains import LocalDomain
from devkit.domains.datahub import record_aspects, short_urn
from devkit.paths import REPO

LINEAGE_CONN_ID = "datahub_file_default"  # AIRFLOW__DATAHUB__CONN_ID (airflow_settings)


def lineage_file() -> Path:
    """Where the Airflow plugin's `datahub-file` connection writes (one per Airflow home)."""
    return Path(os.environ.get("AIRFLOW_HOME", REPO / ".airflow")) / "datahub" / "lineage.json"


class Lineage(LocalDomain):
    name = "lineage"

    def provision(self, env) -> None:
        from devkit import patches

        patches.apply_all()
        lineage_file().parent.mkdir(parents=True, exist_ok=True)
        if not env.names.tag:  # the run command: lineage of this run only
            lineage_file().unlink(missing_ok=True)

    def variables(self, env) -> dict[str, str]:
        return {LINEAGE_SWITCH: LINEAGE_ON}

    def connections(self, env) -> dict[str, dict]:
        # Read by the DataHub Airflow plugin (AIRFLOW__DATAHUB__CONN_ID), not by a DAG.
        return {LINEAGE_CONN_ID: {"conn_type": "datahub-file", "host": str(lineage_file())}}

    def effects(self, env) -> dict[str, object]:
        edges = lineage_edges(lineage_file(), env.names.tag)
        enabled = os.environ.get("AIRFLOW__DATAHUB__ENABLED", "").lower() == "true"
        if not edges:
            off = "plugin off (AIRFLOW__DATAHUB__ENABLED=False was exported)"
            return {
                "DataHub lineage (Airflow plugin, datahub-file)": (
                    f"no edges with datasets in {lineage_file()}" if enabled else off
                )
            }
        # The TICKIT load (landing S3 -> staging -> targets) and UNLOAD (targets -> gold S3).
        redshift = [(a, b) for a, b in edges if "redshift:" in a or "redshift:" in b]
        return {
            "DataHub lineage of the TICKIT load and UNLOAD (Airflow plugin)": [
                f"{a} -> {b}" for a, b in redshift
            ],
            "DataHub lineage, other edges (checks, bronze copies, Athena reads)": (
                f"{len(edges) - len(redshift)} more in {lineage_file()}"
            ),
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
    for _urn, _kind, aspect, value in record_aspects(records):
        if aspect == "dataJobInputOutput":
            for source in value.get("inputDatasets", []):
                for target in value.get("outputDatasets", []):
                    if not tag or tag in source or tag in target:
                        edges.add((short_urn(source), short_urn(target)))
    return sorted(edges)


DOMAIN = Lineage()
