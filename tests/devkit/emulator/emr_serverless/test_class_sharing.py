"""devkit/emulator/emr_serverless/class_sharing.py: the JVM writes its class archive once,
later JVMs map it, and a half-written archive is never mapped."""

from __future__ import annotations

import os
import time

import pytest

from devkit.emulator.emr_serverless import class_sharing

OPTIONS = "-XX:TieredStopAtLevel=1"


@pytest.fixture
def archives(tmp_path, monkeypatch):
    monkeypatch.setattr(class_sharing, "ARCHIVES", tmp_path / "cds")
    jars = tmp_path / "jars"
    jars.mkdir()
    (jars / "spark-core.jar").write_bytes(b"jar")
    return tmp_path / "cds", jars


def dump_path(options: str) -> str:
    (path,) = [o for o in options.split() if o.startswith("-XX:ArchiveClassesAtExit=")]
    return path.split("=", 1)[1]


def test_without_an_archive_the_jvm_writes_one_at_exit_then_later_jvms_map_it(archives):
    folder, jars = archives
    first = class_sharing.java_options(OPTIONS, jars)
    assert first.startswith(OPTIONS + " ")
    dump = dump_path(first)
    assert os.path.dirname(dump) == str(folder)
    with open(dump, "wb") as file:  # what the JVM writes when it exits: header last
        file.write(class_sharing.DYNAMIC_ARCHIVE_MAGIC + b"regions")
    later = class_sharing.java_options(OPTIONS, jars)
    key = class_sharing.archive_key(OPTIONS, jars)
    assert f"-XX:SharedArchiveFile={folder / f'{key}.jsa'} -Xshare:auto" in later
    assert "ArchiveClassesAtExit" not in later
    assert (folder / f"{key}.jsa").read_bytes().endswith(b"regions")


def test_a_dump_being_written_is_neither_mapped_nor_written_twice(archives):
    _, jars = archives
    dump = dump_path(class_sharing.java_options(OPTIONS, jars))
    with open(dump, "wb") as file:
        file.write(bytes(4) + b"regions, no header yet")
    assert class_sharing.java_options(OPTIONS, jars) == OPTIONS
    assert os.path.exists(dump)


def test_an_abandoned_half_written_dump_is_dropped(archives):
    folder, jars = archives
    dump = dump_path(class_sharing.java_options(OPTIONS, jars))
    with open(dump, "wb") as file:
        file.write(bytes(8))
    key = class_sharing.archive_key(OPTIONS, jars)
    later = time.time() + class_sharing.ABANDONED_SECONDS + 1
    class_sharing.promote_finished_dumps(key, folder / f"{key}.jsa", now=later)
    assert not os.path.exists(dump) and not (folder / f"{key}.jsa").exists()


def test_an_archive_is_only_for_the_same_jars_and_options(archives):
    folder, jars = archives
    key = class_sharing.archive_key(OPTIONS, jars)
    assert class_sharing.archive_key(OPTIONS + " -Xss4m", jars) != key
    folder.mkdir()
    (folder / f"{key}.jsa").write_bytes(class_sharing.DYNAMIC_ARCHIVE_MAGIC)
    (jars / "spark-sql.jar").write_bytes(b"another jar")
    assert class_sharing.archive_key(OPTIONS, jars) != key
    dump = dump_path(class_sharing.java_options(OPTIONS, jars))  # no archive for these jars
    with open(dump, "wb") as file:
        file.write(class_sharing.DYNAMIC_ARCHIVE_MAGIC)
    assert "SharedArchiveFile" in class_sharing.java_options(OPTIONS, jars)
    assert not (folder / f"{key}.jsa").exists(), "the old jars' archive is dropped"


def test_an_archive_is_only_for_the_same_extra_class_path(archives, tmp_path):
    _, jars = archives
    extra = tmp_path / "forkless.jar"
    extra.write_bytes(b"one build")
    key = class_sharing.archive_key(OPTIONS, jars, (extra,))
    assert key != class_sharing.archive_key(OPTIONS, jars)
    extra.write_bytes(b"another build")
    assert class_sharing.archive_key(OPTIONS, jars, (extra,)) != key
