"""The TICKIT night with DEVKIT_PATCHES=off: nothing the tests assert comes from a local patch.

tickit__redshift_load runs in a fresh process (patches are process-wide) with no
devkit patch applied, on its own emulation and Airflow home: every task of the night
(sensor, schema, DDL, COPY, staging checks, interval merges, target checks,
reconciliation, for every table). The rows merged must be there without any patch:
the patches change speed and plumbing only. Unpatched, every task pays its own
start-up (a new Execution API app per task), so this is one of the gate's longest
tests (two to three minutes); LONGEST_FIRST in tests/conftest.py starts it first. The
DataHub plugin is off here (its lineage is plumbing-free already:
tests/dags/lakehouse/test_redshift.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from devkit.airflow.settings import airflow_settings
from devkit.paths import REPO

pytestmark = pytest.mark.integration

NIGHT = date(2008, 1, 2)
DAG_ID = "tickit__redshift_load"


def run_unpatched_night() -> dict:
    """In the child process: the lane's night; what it left behind, as JSON."""
    import tempfile

    from devkit import patches
    from devkit.airflow.settings import migrate_metadata_db
    from devkit.domains import for_dags
    from devkit.domains.tickit import sample_data
    from devkit.emulator import LocalAws
    from devkit.emulator.postgres import EmbeddedPostgres
    from devkit.run.local_env import LocalPipeline
    from lakehouse.tickit import TABLES

    migrate_metadata_db()
    with tempfile.TemporaryDirectory() as pg_dir:
        with EmbeddedPostgres(data_dir=Path(pg_dir) / "data") as postgres:
            with LocalAws(postgres=postgres, region="us-east-1") as aws:
                pipeline = LocalPipeline(aws, domains=for_dags((DAG_ID,)))
                pipeline.land(NIGHT)
                result = pipeline.run(DAG_ID, NIGHT)
                data = sample_data(pipeline.scale)
                return {
                    "patches_applied": list(patches.apply_all()),
                    "states": {t.task_id: t.state for t in result.tasks},
                    "merged": {
                        t.name: [
                            sorted({row[0] for row in data.rows_for_day(t.name, NIGHT)}),
                            [
                                r[0]
                                for r in pipeline.query(
                                    f"SELECT {t.key_column} FROM tickit.{t.name} ORDER BY 1"
                                )
                            ],
                        ]
                        for t in TABLES
                    },
                }


@pytest.fixture(scope="module")
def unpatched(tmp_path_factory, airflow_db):
    home = tmp_path_factory.mktemp("airflow-unpatched")
    # A copy of this worker's migrated metadata DB: the child need not migrate one.
    shutil.copy(Path(os.environ["AIRFLOW_HOME"]) / "airflow.db", home / "airflow.db")
    env = {
        **os.environ,
        **airflow_settings(home),
        "AIRFLOW__DATAHUB__ENABLED": "False",
        "DEVKIT_PATCHES": "off",
    }
    code = (
        "import json, sys; from tests.dags.test_unpatched_tickit_night import run_unpatched_night;"
        "found = run_unpatched_night(); sys.stdout.write('\\nRESULT ' + json.dumps(found))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result = done.stdout.rsplit("\nRESULT ", 1)[-1]
    return json.loads(result)


def test_no_devkit_patch_was_applied(unpatched):
    assert unpatched["patches_applied"] == []


def test_every_task_of_the_night_succeeds_unpatched(unpatched):
    from lakehouse.tickit import TABLES

    states = unpatched["states"]
    assert set(states.values()) == {"success"}, states
    assert {"wait_for_extracts", "create_schema"} <= set(states)
    for table in TABLES:
        assert {f"{table.name}.merge_into_target", f"{table.name}.check_reconciles"} <= set(states)


def test_every_target_holds_exactly_the_nights_rows(unpatched):
    from lakehouse.tickit import TABLES

    assert set(unpatched["merged"]) == {t.name for t in TABLES}
    for table, (landed, merged) in unpatched["merged"].items():
        assert landed, f"no sample rows for {table}"
        assert merged == landed, table
