"""What goes where in the bucket: the one table to edit when a folder is added.

Only the bucket's ``dags/`` prefix reaches the workers, so every run-time
folder (SQL, Spark, recipes) is mapped under it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from deploy.errors import DeployError

MANAGED_PREFIX = "dags/"
MANIFEST_KEY = "deploy-manifest.json"


@dataclass(frozen=True)
class Source:
    """A repository folder copied, hierarchy kept, to a bucket prefix (or one file into it)."""

    folder: str  # a folder, or a single file that keeps its name under the prefix
    prefix: str


# Adding a source folder is one line here (DeployRole in infra/pipelines.yaml needs
# no change: everything lands under dags/). Missing folders are simply empty.
SOURCES: tuple[Source, ...] = (
    Source("dags", "dags/"),
    Source("sql", "dags/sql/"),
    Source("spark", "dags/spark/"),
    Source("recipes", "dags/recipes/"),
    # MWAA's constraints, read from /usr/local/airflow/dags/constraints/ by the
    # --constraint line of requirements.txt: no fetch from the internet on worker start.
    Source("requirements/mwaa/constraints-3.2.1-python3.12.txt", "dags/constraints/"),
)


@dataclass(frozen=True)
class Artifact:
    """An object MWAA only picks up through UpdateEnvironment with its version."""

    key: str
    local: str | None  # repository path; None means built (plugins.zip)
    param: str  # UpdateEnvironment parameter stem, e.g. "Plugins"


ARTIFACTS: tuple[Artifact, ...] = (
    Artifact("plugins.zip", None, "Plugins"),
    Artifact("requirements.txt", "requirements/requirements.txt", "Requirements"),
    Artifact("startup.sh", "startup/startup.sh", "StartupScript"),
)
ARTIFACT_KEYS = frozenset(a.key for a in ARTIFACTS)

EXCLUDED_DIRS = frozenset(
    {
        "__pycache__",
        ".git",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        "tests",
        "test",
    }
)
# Lint/VCS configuration and folder READMEs are for the repository, not the workers
# (a README alone in plugins/ must not make a plugins.zip and an environment update).
EXCLUDED_FILES = frozenset(
    {
        "README.md",
        ".DS_Store",
        "Thumbs.db",
        "desktop.ini",
        "conftest.py",
        ".sqlfluff",
        ".sqlfluffignore",
        ".gitignore",
        ".gitkeep",
        ".gitattributes",
    }
)
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".swp", ".swo", "~", ".orig", ".rej")


@dataclass(frozen=True)
class LocalObject:
    """One object the bucket should hold, identified by its content hash."""

    key: str
    sha256: str
    path: Path | None = None
    body: bytes | None = None

    def read(self) -> bytes:
        """Return the bytes to upload."""
        if self.body is not None:
            return self.body
        assert self.path is not None
        return self.path.read_bytes()


def is_excluded(name: str, is_dir: bool) -> bool:
    """True for caches, tests and editor/OS litter that must never deploy."""
    if is_dir:
        return name in EXCLUDED_DIRS
    if name in EXCLUDED_FILES or name.endswith(EXCLUDED_SUFFIXES):
        return True
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def walk_files(root: Path) -> list[tuple[str, Path]]:
    """Sorted (relative posix path, path) pairs under root, exclusions applied.

    A root that is a file is its own single entry: it was named on purpose.
    """
    if root.is_file():
        return [(root.name, root)]
    found: list[tuple[str, Path]] = []
    if not root.is_dir():
        return found
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not is_excluded(d, True))
        for name in files:
            if is_excluded(name, False):
                continue
            path = Path(current, name)
            if path.is_file():
                found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def sha256_bytes(data: bytes) -> str:
    """Hex sha256; the only notion of 'changed' this tool uses (never mtime)."""
    return hashlib.sha256(data).hexdigest()


def collect_dag_side(repo: Path, sources: tuple[Source, ...] = SOURCES) -> dict[str, LocalObject]:
    """Map every source folder to its bucket keys; refuse colliding keys."""
    objects: dict[str, LocalObject] = {}
    for source in sources:
        if not source.prefix.startswith(MANAGED_PREFIX):
            raise DeployError(f"source {source.folder!r} maps outside {MANAGED_PREFIX}")
        for rel, path in walk_files(repo / source.folder):
            key = source.prefix + rel
            if key in objects:
                raise DeployError(
                    f"{path.relative_to(repo)} and {objects[key].path} both map to {key}; "
                    "rename one of them"
                )
            objects[key] = LocalObject(key, sha256_bytes(path.read_bytes()), path=path)
    return objects
