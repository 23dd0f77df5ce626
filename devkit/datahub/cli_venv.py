"""The DataHub CLI's own virtualenv, `.venv-datahub`, built lazily from its lock.

acryl-datahub with the athena and redshift extras does not resolve under MWAA's
constraints, so it never goes into `.venv`. Like devkit/bootstrap.sh, the venv
is rebuilt only when the lock changes: a stamp holds the lock's SHA-256.

    .venv/bin/python -m devkit.datahub.cli_venv     # build (or check) and print its path
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
LOCK = ROOT / "requirements" / "datahub" / "lock.txt"
VENV = Path(os.environ.get("DATAHUB_VENV", ROOT / ".venv-datahub"))
STAMP_NAME = ".lock-sha256"


# Part of the stamp: changing how the venv is built rebuilds existing ones.
BUILD_OPTIONS = b"uv pip sync --compile-bytecode"


def lock_digest(lock: Path = LOCK) -> str:
    return hashlib.sha256(lock.read_bytes() + BUILD_OPTIONS).hexdigest()


def python(venv: Path = VENV) -> Path:
    return venv / "bin" / "python"


def datahub_cli(venv: Path = VENV) -> Path:
    return venv / "bin" / "datahub"


def is_current(venv: Path = VENV, lock: Path = LOCK) -> bool:
    stamp = venv / STAMP_NAME
    return (
        python(venv).is_file()
        and stamp.is_file()
        and stamp.read_text().strip() == lock_digest(lock)
    )


def _uv() -> str:
    beside = Path(sys.executable).parent / "uv"
    found = beside if beside.is_file() else shutil.which("uv")
    if not found:
        raise RuntimeError("uv not found: run devkit/bootstrap.sh first (it installs uv in .venv)")
    return str(found)


def ensure(venv: Path = VENV, lock: Path = LOCK, quiet: bool = False) -> Path:
    """Build `venv` from `lock` unless its stamp matches; returns the venv's python."""
    if venv.resolve() == (ROOT / ".venv").resolve():
        raise ValueError("the DataHub CLI never goes into .venv (MWAA's environment)")
    if is_current(venv, lock):
        return python(venv)
    if not quiet:
        print(
            f"datahub: building {venv.name} from {lock.relative_to(ROOT)} "
            "(acryl-datahub CLI, first time only, about 20-60 s)",
            file=sys.stderr,
            flush=True,
        )
    uv = _uv()
    stamp = venv / STAMP_NAME
    stamp.unlink(missing_ok=True)  # an interrupted build must not look current
    if not python(venv).is_file():
        version = "%d.%d" % sys.version_info[:2]
        subprocess.run(
            [uv, "venv", "--quiet", "--python", version, str(venv)], check=True, cwd=ROOT
        )
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    # --compile-bytecode: the CLI starts once per recipe; see devkit/bootstrap.sh.
    subprocess.run(
        [uv, "pip", "sync", "--quiet", "--compile-bytecode", str(lock)],
        check=True,
        env=env,
        cwd=ROOT,
    )
    stamp.write_text(lock_digest(lock) + "\n")
    if not quiet:
        print(f"datahub: {venv.name} ready", file=sys.stderr, flush=True)
    return python(venv)


if __name__ == "__main__":
    print(ensure())
