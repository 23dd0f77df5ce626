"""The DAG deploy's settings (plan, deploy, status, export), from flags or MWAA_BUCKET /
MWAA_ENVIRONMENT / AWS_REGION. Not the Airflow settings the DAGs read: deploy/airflow_settings.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deploy.validation import DEFAULT_COMMAND


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know; the one place its defaults are written (the command
    line's flags read them: deploy/__main__.py)."""

    repo: Path
    bucket: str
    environment: str | None = None
    region: str | None = None
    poll_interval: float = 30.0
    timeout: float = 3600.0
    max_delete_share: float = 0.2
    force_delete: bool = False
    skip_validation: bool = False
    validate_command: str = DEFAULT_COMMAND
    worker_replacement: str | None = None
    env: str | None = None  # infra/environments/<env>.json, when named with --env
    promote_from: str | None = None  # that environment's: it deploys only exports of this one
    bundle: Path | None = None  # --from: what `export` wrote; deployed instead of the tree
    # After the upload, wait this long for MWAA to parse the DAGs (0: do not ask MWAA).
    confirm_timeout: float = 900.0
