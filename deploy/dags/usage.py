"""The Variables and Connections a DAGs folder uses, as JSON: `infra settings`' probe.

deploy/dag_usage.py runs it in a subprocess, so Airflow's import and logging stay out
of the deploy tool's process and a DAG that does not import is reported, not raised:

    python -m deploy.dags.usage OUT.json DAGS_DIR   # exit 3: a DAG file does not import
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from deploy.dags.catalog import DagDiscoveryError, discover
from deploy.dags.snapshot import declared_settings


def usage(dags_dir: Path) -> dict:
    """Per DAG what its tasks use, and what the shared conventions declare."""
    return report(discover(dags_dir))


def report(catalog: dict) -> dict:
    """`usage`'s report from an already parsed catalogue (the local run's own parse)."""
    dags = {
        dag_id: {"variables": sorted(info.variables), "connections": sorted(info.connections)}
        for dag_id, info in catalog.items()
    }
    return {"dags": dags, "declared": declared_settings()}


def main(argv: list[str]) -> int:
    out, dags_dir = Path(argv[0]), Path(argv[1])
    try:
        report = usage(dags_dir)
    except DagDiscoveryError as err:
        print(err, file=sys.stderr)
        return 3
    out.write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
