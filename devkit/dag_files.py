"""The DAG files under test, found without importing Airflow (test ids, benchmarks).

`DAGS_UNDER_TEST` points the policy tests at another folder: the gate's own
test uses it to prove that a bad DAG is rejected.
"""

from __future__ import annotations

import os
from pathlib import Path

DAGS_DIR = Path(os.environ.get("DAGS_UNDER_TEST") or Path(__file__).resolve().parents[1] / "dags")
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
DAG_FILE_IDS = [p.stem for p in DAG_FILES]
