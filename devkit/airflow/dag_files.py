"""The DAG files under test, found without importing Airflow (test ids, benchmarks).

`DAGS_UNDER_TEST` points the policy tests at another folder: the gate's own
test uses it to prove that a bad DAG is rejected and a good one accepted.
"""

from __future__ import annotations

import os
from pathlib import Path

from devkit.paths import DAGS_DIR as REPO_DAGS_DIR

DAGS_DIR = Path(os.environ.get("DAGS_UNDER_TEST") or REPO_DAGS_DIR)
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
DAG_FILE_IDS = [p.stem for p in DAG_FILES]
