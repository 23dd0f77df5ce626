"""Airflow on this machine: its settings as environment variables and the metadata DB.

The run command, the tests and `airflow standalone` (--ui) all configure Airflow
from `airflow_settings`, so they read the same DAGs folder and SQLite DB.
"""

from __future__ import annotations

import os
from pathlib import Path

from devkit.paths import DAGS_DIR, PLUGINS_DIR

# The DataHub plugin's kill switch, a Variable it reads on every hook. The plugin names
# the negative ("true" disables its listener); LINEAGE_ON and LINEAGE_OFF name its values.
LINEAGE_SWITCH = "datahub_airflow_plugin_disable_listener"
LINEAGE_ON, LINEAGE_OFF = "false", "true"


def airflow_settings(home: Path) -> dict[str, str]:
    """Airflow configuration as env vars: the repo's folders, SQLite, no examples."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        # DataHub lineage plugin (docs/datahub.md): to the `datahub-file` connection the
        # lineage domain defines; a failing emitter is logged, never fails a task.
        # On unless AIRFLOW__DATAHUB__ENABLED=False is exported; with the file-emitter
        # patches of devkit/patches/for_datahub_plugin.py it costs ~0.1 s a task.
        "AIRFLOW__DATAHUB__ENABLED": os.environ.get("AIRFLOW__DATAHUB__ENABLED", "True"),
        # ... but lineage is off unless the lineage domain runs (its file connection;
        # the datahub domain needs it): its Variable turns lineage on.
        f"AIRFLOW_VAR_{LINEAGE_SWITCH.upper()}": LINEAGE_OFF,
        "AIRFLOW__DATAHUB__CONN_ID": "datahub_file_default",
        "AIRFLOW__DATAHUB__EMIT_MODE": "ASYNC",
        # Lineage only: no run events, no placeholder datasets (the file emitter
        # rewrites its whole file per event, so fewer events keep runs fast).
        "AIRFLOW__DATAHUB__CAPTURE_EXECUTIONS": "False",
        "AIRFLOW__DATAHUB__MATERIALIZE_IOLETS": "False",
        "DATAHUB_TELEMETRY_ENABLED": "false",  # no phoning home from a laptop or CI
        # dag.test() runs tasks in-process: the listener's worker thread then waits on
        # the task's own supervisor channel and times out (10 s a hook); run it inline.
        "DATAHUB_AIRFLOW_PLUGIN_RUN_IN_THREAD": "false",
    }


def logs_dir() -> Path:
    return Path(os.environ["AIRFLOW_HOME"]) / "logs"


def migrate_metadata_db() -> None:
    """Create or upgrade the SQLite metadata DB (idempotent).

    An up-to-date DB is recognised by its alembic revision, because `upgradedb`
    spends ~1.5 s loading the migration scripts just to find nothing to do.
    """
    from airflow.utils import db

    heads = getattr(db, "_REVISION_HEADS_MAP", None)  # Airflow version -> its head revision
    if not heads or _revision() != list(heads.values())[-1]:
        db.upgradedb()


def _revision() -> str | None:
    from airflow.utils.session import create_session
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    try:
        with create_session() as session:
            return session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError:  # no DB or no table yet
        return None
