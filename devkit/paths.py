"""Where things are in the repository: the one module every tool takes paths from."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DAGS_DIR = REPO / "dags"
PLUGINS_DIR = REPO / "plugins"
SQL_DIR = REPO / "sql"
SPARK_DIR = REPO / "spark"
RECIPES_DIR = REPO / "recipes"
TESTS_DIR = REPO / "tests"
CACHE_DIR = REPO / ".cache"  # throw-away state: Postgres data, test homes
AIRFLOW_HOME = REPO / ".airflow"  # the run command's Airflow home (metadata DB, task logs)
LOCAL_PG_DATA = (
    CACHE_DIR / "postgres"
)  # the run command's warehouse (and `python -m devkit.run.serve`)
