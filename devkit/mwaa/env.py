"""MWAA's own Python environment, `.venv-mwaa`: Python 3.12 and what requirements.txt asks for.

`.venv` is the local/CI environment (pytest, moto, pyspark, duckdb, Python 3.11
here). MWAA builds something else from two inputs only: Airflow with MWAA's
constraints, plus `requirements/requirements.txt`, on Python 3.12. This venv is
built from exactly those, so a DAG importing a tool MWAA lacks, or a pin that
does not resolve on 3.12, fails here as it would there. Like devkit/bootstrap.sh
it is rebuilt only when its inputs change (a stamp holds their SHA-256), from
scratch so nothing stale survives; once built it needs no network.

The command (`python -m devkit.mwaa`, devkit/mwaa/__main__.py) builds it and parses there.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from devkit.paths import CACHE_DIR, REPO

VENV = Path(os.environ.get("MWAA_VENV", REPO / ".venv-mwaa"))
STAMP_NAME = ".inputs-sha256"
MWAA_PYTHON_VERSION = (3, 12)
MWAA_HOME = "/usr/local/airflow/"  # where MWAA puts dags/, plugins/ and requirements.txt
# MWAA applies these on top of any requirements.txt; they pin apache-airflow itself.
ESSENTIAL_CONSTRAINTS = REPO / "requirements" / "mwaa" / "mwaa-essential-constraints-3.2.1.txt"
# Part of the stamp: changing how the venv is built rebuilds existing ones.
BUILD_OPTIONS = b"uv venv --python 3.12; uv pip install --compile-bytecode"


class MwaaEnvError(RuntimeError):
    """The MWAA environment cannot be built here; the message says what to do."""


# --- the MWAA folder tree, laid out exactly as the deploy tool maps the repository ---


def deployed_objects(repo: Path = REPO) -> dict:
    """Every bucket key the deploy writes (dags/..., plugins.zip, requirements.txt)."""
    from deploy.shipment import collect_local

    return collect_local(repo)


def lay_out(home: Path, repo: Path = REPO) -> Path:
    """Write what MWAA puts under /usr/local/airflow into `home`; returns `home`.

    dags/ gets every bucket key under dags/, plugins/ the unzipped plugins.zip,
    and requirements.txt its own copy: one mapping, the deploy tool's.
    """
    objects = deployed_objects(repo)
    (home / "dags").mkdir(parents=True, exist_ok=True)
    (home / "plugins").mkdir(parents=True, exist_ok=True)
    for key, item in objects.items():
        if key.startswith("dags/"):
            target = home / key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(item.read())
        elif key == "plugins.zip":
            with zipfile.ZipFile(io.BytesIO(item.read())) as archive:
                archive.extractall(home / "plugins")
        else:
            (home / key).write_bytes(item.read())
    return home


# --- inputs and stamp ---


def airflow_version(essential: Path = ESSENTIAL_CONSTRAINTS) -> str:
    """The Airflow MWAA runs, from the constraints MWAA never lets a customer override."""
    match = re.search(r"^apache-airflow==(\S+)", essential.read_text(), re.M)
    if not match:
        raise MwaaEnvError(f"{essential.relative_to(REPO)} pins no apache-airflow==")
    return match.group(1)


def inputs_digest(repo: Path = REPO, essential: Path = ESSENTIAL_CONSTRAINTS) -> str:
    """SHA-256 of requirements.txt, every file it names under dags/, the MWAA pins, this builder."""
    from deploy.shipment import prerequisite_keys

    objects = deployed_objects(repo)
    digest = hashlib.sha256(BUILD_OPTIONS)
    digest.update(Path(__file__).read_bytes())
    digest.update(essential.read_bytes())
    requirements = objects.get("requirements.txt")
    if requirements is None:
        raise MwaaEnvError("requirements/requirements.txt is missing: it is what MWAA installs")
    digest.update(requirements.read())
    for key in sorted(prerequisite_keys(objects)):
        digest.update(key.encode() + b"\0" + objects[key].read())
    return digest.hexdigest()


def python(venv: Path = VENV) -> Path:
    return venv / "bin" / "python"


def is_current(venv: Path = VENV, repo: Path = REPO) -> bool:
    stamp = venv / STAMP_NAME
    return (
        python(venv).is_file()  # False too when the 3.12 it was made from is gone
        and stamp.is_file()
        and stamp.read_text().strip() == inputs_digest(repo)
    )


# --- tools: Python 3.12 and uv ---

INSTALL_HINT = (
    "install Python 3.12 (MWAA's Airflow 3.2.1 runs on 3.12): `.venv/bin/uv python install 3.12`, "
    "`pyenv install 3.12`, or your package manager (e.g. `apt install python3.12`); "
    "or point MWAA_PYTHON at an existing python3.12"
)
_VERSION_PROBE = "import sys; print(*sys.version_info[:2], sys.executable)"


def _python_version(candidate: str) -> tuple[tuple[int, int], Path] | None:
    """(major, minor) and real executable of `candidate`, or None if it does not run."""
    try:
        out = subprocess.run(
            [candidate, "-c", _VERSION_PROBE], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None  # e.g. a pyenv shim for a version pyenv does not activate here
    major, minor, executable = out.stdout.split(maxsplit=2)
    return (int(major), int(minor)), Path(executable.strip())


def _candidates(uv: str | None) -> list[tuple[str, str]]:
    """(where it came from, command) in the documented order."""
    found = [
        ("python3.12 on PATH", str(Path(d) / "python3.12"))
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if d and (Path(d) / "python3.12").is_file()
    ]
    if uv:
        out = subprocess.run(
            [uv, "python", "find", "3.12"], capture_output=True, text=True, timeout=60
        )
        if out.returncode == 0 and out.stdout.strip():
            found.append(("`uv python find 3.12`", out.stdout.strip()))
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    for path in sorted(glob.glob(f"{pyenv_root}/versions/3.12.*/bin/python3.12"), reverse=True):
        found.append(("pyenv's installed versions", path))
    return found


def find_python(uv: str | None = None) -> Path:
    """Python 3.12: $MWAA_PYTHON, python3.12 on PATH, `uv python find 3.12`, then pyenv's."""
    explicit = os.environ.get("MWAA_PYTHON")
    if explicit:
        probed = _python_version(explicit)
        if probed is None or probed[0] != MWAA_PYTHON_VERSION:
            got = "does not run" if probed is None else "is Python %d.%d" % probed[0]
            raise MwaaEnvError(f"MWAA_PYTHON={explicit} {got}; {INSTALL_HINT}")
        return probed[1]
    tried = []
    for source, candidate in _candidates(uv):
        probed = _python_version(candidate)
        if probed and probed[0] == MWAA_PYTHON_VERSION:
            return probed[1]
        tried.append(f"{candidate} ({source})")
    detail = f" (tried: {', '.join(tried)})" if tried else ""
    raise MwaaEnvError(f"no working Python 3.12 found{detail}; {INSTALL_HINT}")


def find_uv() -> str:
    for candidate in (REPO / ".venv" / "bin" / "uv", Path(sys.executable).parent / "uv"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("uv")
    if not found:
        raise MwaaEnvError("uv not found: run devkit/bootstrap.sh first (it installs uv in .venv)")
    return found


# --- the build ---


def local_requirements(home: Path) -> Path:
    """requirements.txt with MWAA's paths pointing into the laid-out tree."""
    text = (home / "requirements.txt").read_text().replace(MWAA_HOME, f"{home}/")
    path = home / "requirements-local.txt"
    path.write_text(text)
    return path


@contextlib.contextmanager
def _build_lock(venv: Path):
    """One build at a time (a CLI run beside the gate): the second waits, then finds it current."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / f"{venv.name}.build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure(venv: Path = VENV, repo: Path = REPO, quiet: bool = False) -> Path:
    """Build `venv` as MWAA builds its environment unless its stamp matches; returns its python."""
    if venv.resolve() == (REPO / ".venv").resolve():
        raise ValueError("MWAA's environment never goes into .venv (the local/CI environment)")
    if is_current(venv, repo):
        return python(venv)
    with _build_lock(venv):
        if not is_current(venv, repo):
            _build(venv, repo, quiet)
    return python(venv)


def _build(venv: Path, repo: Path, quiet: bool) -> None:
    uv = find_uv()
    interpreter = find_python(uv)
    version = airflow_version()
    if not quiet:
        print(
            f"mwaa_env: building {venv.name} (Python 3.12, apache-airflow=={version} with MWAA's "
            "constraints + requirements.txt; the first time downloads from PyPI, minutes)",
            file=sys.stderr,
            flush=True,
        )
    started = time.monotonic()
    shutil.rmtree(venv, ignore_errors=True)  # from scratch: nothing a removed line installed
    subprocess.run([uv, "venv", "--quiet", "--python", str(interpreter), str(venv)], check=True)
    with tempfile.TemporaryDirectory(prefix="mwaa-home-") as tmp:
        home = lay_out(Path(tmp), repo)
        command = [
            uv, "pip", "install", "--quiet", "--python", str(python(venv)), "--compile-bytecode",
            f"apache-airflow=={version}",
            "-r", str(local_requirements(home)),
            "-c", str(ESSENTIAL_CONSTRAINTS),
        ]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        raise MwaaEnvError(
            "requirements/requirements.txt does not install on Python 3.12 with MWAA's "
            f"constraints (MWAA would roll the update back):\n{out.stderr.strip()}"
        )
    (venv / STAMP_NAME).write_text(inputs_digest(repo) + "\n")
    if not quiet:
        print(
            f"mwaa_env: {venv.name} ready in {time.monotonic() - started:.0f}s",
            file=sys.stderr,
            flush=True,
        )
