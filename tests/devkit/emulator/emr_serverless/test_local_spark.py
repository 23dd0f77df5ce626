"""devkit/emulator/emr_serverless/local_spark.py: one small session per process, a warm-up
that cleans up, and a local file system that sets modes without forking."""

from __future__ import annotations

import tempfile
from pathlib import Path

from devkit.emulator.emr_serverless import forkless_fs, local_spark


def test_one_session_per_process_with_the_small_settings():
    session = local_spark.session()
    assert local_spark.session() is session
    conf = session.sparkContext.getConf()
    assert conf.get("spark.sql.shuffle.partitions") == "2"
    assert conf.get("spark.hadoop.fs.file.impl") == forkless_fs.CLASS  # built with javac here


def test_the_warm_up_job_runs_and_leaves_no_folder():
    before = set(Path(tempfile.gettempdir()).glob("spark-warm-up-*"))
    local_spark.run_warm_up_job()  # what warm_up() runs in the background; raises here
    assert set(Path(tempfile.gettempdir()).glob("spark-warm-up-*")) == before


def test_the_local_file_system_is_the_forkless_one_and_sets_the_same_modes(tmp_path):
    session = local_spark.session()
    jvm = session._jvm
    fs = jvm.org.apache.hadoop.fs.FileSystem.get(
        jvm.java.net.URI("file:///"), session._jsc.hadoopConfiguration()
    )
    assert fs.getClass().getName() == forkless_fs.CLASS
    assert fs.getClass().getSuperclass().getName() == forkless_fs.STOCK
    permission = jvm.org.apache.hadoop.fs.permission.FsPermission
    for name, mode in (("plain", 0o640), ("private", 0o600), ("sticky", 0o1750)):
        path = tmp_path / name
        path.mkdir()
        fs.setPermission(jvm.org.apache.hadoop.fs.Path(str(path)), permission(mode))
        assert path.stat().st_mode & 0o7777 == mode, name  # sticky: Hadoop's own chmod
    folder = jvm.org.apache.hadoop.fs.Path(str(tmp_path / "made" / "by" / "spark"))
    assert fs.mkdirs(folder)
    assert (tmp_path / "made" / "by" / "spark").stat().st_mode & 0o777 == 0o755  # umask 022
