"""Which Airflow Variables and Connections the DAGs use, asked of the DAGs themselves.

The DAG catalogue (`deploy.dags.catalog.discover`, also the run command's) parses
dags/ and reads every task's `{{ var.value.x }}` templates and `*conn_id` arguments:
the one source of truth, so `infra settings` keeps no list of its own. It runs in a
subprocess (`python -m deploy.dags.usage`), like the validation command: the deploy
tool's process never imports Airflow (the DAG deploy must not need it), Airflow's
logging stays out of our stdout, and a DAG that does not import is reported, not raised.

Settings used outside task arguments are invisible to the catalogue (the failure
callback's `alerts_sns_topic_arn`), so the subprocess also reports the
Variables and Connections the DAGs' shared conventions declare (`class Var`,
`class Conn` in dags/lakehouse/conventions.py): those are needed too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from deploy.errors import DeployError

CONVENTIONS = "dags/lakehouse/conventions.py"

# Run with the repository as cwd and first on PYTHONPATH, so `deploy` and `lakehouse`
# are this repo's.
PROBE = "deploy.dags.usage"


@dataclass
class DagUsage:
    """Setting name -> the DAG ids that use it (empty: declared, used outside tasks)."""

    variables: dict[str, list[str]] = field(default_factory=dict)
    connections: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_report(cls, report: dict) -> "DagUsage":
        usage = cls()
        for kind in ("variables", "connections"):
            found: dict[str, list[str]] = getattr(usage, kind)
            for dag_id, used in sorted(report.get("dags", {}).items()):
                for name in used[kind]:
                    found.setdefault(name, []).append(dag_id)
            for name in report.get("declared", {}).get(kind, []):
                found.setdefault(name, [])
        return usage

    def users(self, kind: str, name: str) -> str:
        """Who needs it, for error messages."""
        dag_ids = getattr(self, kind).get(name) or []
        if dag_ids:
            return f"used by DAG(s) {', '.join(dag_ids)}"
        return f"declared in {CONVENTIONS}, used outside task arguments"


def discover_usage(repo: Path, timeout: float = 300.0) -> DagUsage:
    """Parse repo/dags in a subprocess and return what its DAGs use."""
    dags_dir = repo / "dags"
    if not dags_dir.is_dir():
        raise DeployError(f"no DAGs folder at {dags_dir}: run from the repository or pass --repo")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "usage.json"
        try:
            proc = subprocess.run(
                [sys.executable, "-m", PROBE, str(out), str(dags_dir)],
                cwd=repo,
                env=_airflow_env(repo, dags_dir, Path(scratch)),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise DeployError(f"parsing {dags_dir} took over {timeout:.0f}s") from None
        if proc.returncode != 0 or not out.is_file():
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise DeployError(
                f"cannot read the Variables and Connections of the DAGs in {dags_dir} "
                f"(needs the dev environment: devkit/bootstrap.sh, .venv/bin/python):\n{tail}"
            )
        return DagUsage.from_report(json.loads(out.read_text()))


def _airflow_env(repo: Path, dags_dir: Path, scratch: Path) -> dict[str, str]:
    """Parsing needs an Airflow home; a throw-away one unless the caller set their own."""
    env = dict(os.environ)
    env.setdefault("AIRFLOW_HOME", str(scratch / "airflow"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags_dir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    return env
