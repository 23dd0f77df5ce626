"""The local Spark JVM's file system: Hadoop's, minus a forked `chmod` per file and folder.

pyspark ships no native Hadoop library, so RawLocalFileSystem sets each permission by
starting a `chmod` process: ~700 of them for one night's silver and gold jobs, about
2 CPU s. ForklessLocalFileSystem.java (beside this file) sets the same modes through
java.nio. It is compiled once with javac into a jar in .cache/spark-fs/, keyed on its
source and Hadoop's jar, and put on the driver's class path. Without javac (a JRE only)
or if the build fails, the session keeps RawLocalFileSystem: slower, the same files.
EMR writes to S3, where none of this applies; the jobs never see the difference.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from devkit.emulator.emr_serverless.class_sharing import java_path
from devkit.paths import CACHE_DIR

SOURCE = Path(__file__).with_name("ForklessLocalFileSystem.java")
CLASS = "devkit.emulator.emr_serverless.ForklessLocalFileSystem"
STOCK = "org.apache.hadoop.fs.RawLocalFileSystem"
JARS = CACHE_DIR / "spark-fs"
# javac's own JVM: one small file, so C2 compiles would cost more than they save (-40 % CPU);
# the class file is the same.
JAVAC_JVM = ("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC")
log = logging.getLogger(__name__)


def spark_settings(jars_dir: Path) -> dict[str, str]:
    """The session settings that use the forkless class, or the stock class without it."""
    jar = built_jar(jars_dir)
    if jar is None:
        return {"spark.hadoop.fs.file.impl": STOCK}
    return {"spark.hadoop.fs.file.impl": CLASS, "spark.driver.extraClassPath": str(jar)}


def built_jar(jars_dir: Path) -> Path | None:
    """The class's jar for these Hadoop jars, built now if missing; None without javac."""
    hadoop = sorted(jars_dir.glob("hadoop-client-api-*.jar"))
    javac = shutil.which("javac", path=java_path())
    if not hadoop or not javac:
        return None
    jar = JARS / f"{jar_key(hadoop[0])}.jar"
    if jar.is_file():
        return jar
    try:
        _build(javac, hadoop[0], jar)
    except (OSError, subprocess.CalledProcessError) as error:
        detail = (getattr(error, "stderr", b"") or b"").decode(errors="replace").strip()
        log.warning("javac could not build %s: %s %s", SOURCE, error, detail)
        log.warning("local Spark keeps %s (one chmod process per file)", STOCK)
        return None
    return jar


def jar_key(hadoop_jar: Path) -> str:
    """What a built jar is only valid for: this source and this Hadoop jar."""
    stat = os.stat(hadoop_jar)
    parts = [SOURCE.read_text(), f"{hadoop_jar.name}:{stat.st_size}:{stat.st_mtime_ns}"]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _build(javac: str, hadoop_jar: Path, jar: Path) -> None:
    """Compile into a scratch folder, zip, then move the whole jar into place."""
    JARS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=JARS) as scratch:
        classes = Path(scratch) / "classes"
        command = [javac, *JAVAC_JVM, "-nowarn", "-cp", str(hadoop_jar), "-d", str(classes)]
        command.append(str(SOURCE))
        subprocess.run(command, check=True, capture_output=True)
        staged = Path(scratch) / jar.name
        with zipfile.ZipFile(staged, "w") as archive:
            for path in sorted(classes.rglob("*.class")):
                archive.write(path, path.relative_to(classes).as_posix())
        os.replace(staged, jar)
