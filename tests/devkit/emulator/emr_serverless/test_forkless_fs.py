"""devkit/emulator/emr_serverless/forkless_fs.py: the forkless file system's jar is built
once per source and Hadoop jar, and without javac the session keeps Hadoop's own class.

javac costs ~1 CPU s a start: the module compiles the real source once (`built`), and
only the failed build starts javac again, because javac's own error is what it checks.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile

import pytest

from devkit.emulator.emr_serverless import forkless_fs
from devkit.emulator.emr_serverless.class_sharing import java_path


@pytest.fixture(scope="module")
def spark_jars():
    """Spark's jars folder holding Hadoop's real client jar; javac must be on the path."""
    from pyspark.find_spark_home import _find_spark_home

    javac = shutil.which("javac", path=java_path())
    assert javac, "no javac: the gate needs a Java 17 JDK (README), not a JRE only"
    return forkless_fs.Path(_find_spark_home()) / "jars"


@pytest.fixture(scope="module")
def built(spark_jars, tmp_path_factory):
    """(scratch cache, jar): the real source built by javac, once for the module."""
    cache = tmp_path_factory.mktemp("forkless") / "spark-fs"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(forkless_fs, "JARS", cache)
        return cache, forkless_fs.built_jar(spark_jars)


@pytest.fixture
def jars(tmp_path, monkeypatch, spark_jars):
    """A scratch jar cache of this test's own, and Spark's jars folder."""
    monkeypatch.setattr(forkless_fs, "JARS", tmp_path / "spark-fs")
    return tmp_path / "spark-fs", spark_jars


def test_the_class_is_built_into_a_jar_once_and_used(built, spark_jars, monkeypatch):
    cache, jar = built
    assert jar.parent == cache and jar.suffix == ".jar"
    names = zipfile.ZipFile(jar).namelist()
    assert names == [forkless_fs.CLASS.replace(".", "/") + ".class"]
    assert list(cache.iterdir()) == [jar], "no scratch folder left behind"

    def no_javac(*args, **kwargs):
        raise AssertionError("javac ran again for a jar already built")

    monkeypatch.setattr(forkless_fs, "JARS", cache)
    monkeypatch.setattr(subprocess, "run", no_javac)
    assert forkless_fs.spark_settings(spark_jars) == {
        "spark.hadoop.fs.file.impl": forkless_fs.CLASS,
        "spark.driver.extraClassPath": str(jar),
    }


def test_a_changed_source_is_built_again(built, jars, monkeypatch, tmp_path):
    """The real compile is the test above; here, that a new source means a new build."""
    _, first = built
    cache, spark_jars = jars
    source = tmp_path / "ForklessLocalFileSystem.java"
    source.write_text(forkless_fs.SOURCE.read_text() + "\n// changed\n")
    monkeypatch.setattr(forkless_fs, "SOURCE", source)
    builds = []

    def recorded_build(javac, hadoop_jar, jar):
        builds.append((forkless_fs.SOURCE, jar))
        jar.parent.mkdir(parents=True, exist_ok=True)
        jar.write_bytes(b"built")

    monkeypatch.setattr(forkless_fs, "_build", recorded_build)
    again = forkless_fs.built_jar(spark_jars)
    assert again not in (None, first) and again.name != first.name, "a new key: a new jar"
    assert builds == [(source, cache / again.name)] and again.read_bytes() == b"built"


def test_without_javac_the_session_keeps_hadoops_local_file_system(jars, monkeypatch):
    cache, spark_jars = jars
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert forkless_fs.spark_settings(spark_jars) == {
        "spark.hadoop.fs.file.impl": forkless_fs.STOCK
    }
    assert not cache.exists()


def test_a_failed_build_leaves_no_jar_and_names_the_source(jars, monkeypatch, tmp_path, caplog):
    cache, spark_jars = jars
    source = tmp_path / "ForklessLocalFileSystem.java"
    source.write_text("this is not Java")
    monkeypatch.setattr(forkless_fs, "SOURCE", source)
    assert forkless_fs.spark_settings(spark_jars) == {
        "spark.hadoop.fs.file.impl": forkless_fs.STOCK
    }
    assert list(cache.iterdir()) == []
    assert str(source) in caplog.text and "error" in caplog.text
