"""The DAG files under test, found without importing Airflow (test ids, benchmarks)."""

from __future__ import annotations

from pathlib import Path

DAGS_DIR = Path(__file__).resolve().parents[1] / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
DAG_FILE_IDS = [p.stem for p in DAG_FILES]
