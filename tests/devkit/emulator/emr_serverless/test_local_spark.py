"""devkit/emulator/emr_serverless/local_spark.py: one small session per process, and a
warm-up that cleans up."""

from __future__ import annotations

import tempfile
from pathlib import Path

from devkit.emulator.emr_serverless import local_spark


def test_one_session_per_process_with_the_small_settings():
    session = local_spark.session()
    assert local_spark.session() is session
    conf = session.sparkContext.getConf()
    assert conf.get("spark.sql.shuffle.partitions") == "2"
    assert conf.get("spark.hadoop.fs.file.impl") == "org.apache.hadoop.fs.RawLocalFileSystem"


def test_the_warm_up_job_runs_and_leaves_no_folder():
    before = set(Path(tempfile.gettempdir()).glob("spark-warm-up-*"))
    local_spark.run_warm_up_job()  # what warm_up() runs in the background; raises here
    assert set(Path(tempfile.gettempdir()).glob("spark-warm-up-*")) == before
