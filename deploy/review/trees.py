"""The two trees a review compares: the base commit (extracted) and the working tree."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from deploy.errors import DeployError

# Top-level folders and files a review reads from the base commit; the rest (docs,
# tests, tooling) cannot change what runs, so it is never extracted.
REVIEWED = ("dags", "sql", "spark", "recipes", "plugins", "requirements", "startup", "infra")


def git(repo: Path, *args: str, binary: bool = False):
    """Run git in `repo`; a failure names the command and git's own message."""
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=not binary)
    if proc.returncode != 0:
        error = proc.stderr if not binary else proc.stderr.decode(errors="replace")
        raise DeployError(f"git {' '.join(args)} failed in {repo}: {error.strip()}")
    return proc.stdout


def toplevel(path: Path) -> Path:
    """The root of the repository `path` is in (the review may start in a subfolder)."""
    return Path(git(path.resolve(), "rev-parse", "--show-toplevel").strip())


def resolve(repo: Path, ref: str) -> str:
    """The commit `ref` names; a clear error when it is not fetched."""
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except DeployError:
        raise DeployError(
            f"base {ref!r} is not a commit in {repo}: fetch it first "
            f"(git fetch origin main; in CI check out with fetch-depth: 0)"
        ) from None


def changed_paths(repo: Path, base: str) -> list[str]:
    """Paths that differ between `base` and the working tree, untracked files included."""
    tracked = git(repo, "diff", "--name-only", "--no-renames", base).splitlines()
    untracked = git(repo, "ls-files", "--others", "--exclude-standard").splitlines()
    return sorted(set(tracked) | set(untracked))


def head_state(repo: Path) -> tuple[str, bool]:
    """(HEAD commit, whether the working tree differs from it)."""
    commit = git(repo, "rev-parse", "HEAD").strip()
    return commit, bool(git(repo, "status", "--porcelain").strip())


def extract(repo: Path, commit: str, dest: Path) -> Path:
    """The reviewed folders of `commit`, written under `dest` (git archive; no checkout)."""
    present = set(git(repo, "ls-tree", "--name-only", commit).splitlines())
    wanted = [name for name in REVIEWED if name in present]
    dest.mkdir(parents=True, exist_ok=True)
    if wanted:
        data = git(repo, "archive", "--format=tar", commit, "--", *wanted, binary=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: no paths outside dest
                archive.extractall(dest, filter="data")
            else:  # pragma: no cover
                archive.extractall(dest)  # noqa: S202 (our own repository's commit)
    return dest


def digest(tree: Path) -> str:
    """A hash of everything a local run's AWS accesses depend on (the REVIEWED folders,
    as the deploy walks them): an access record is valid for a tree with the same digest."""
    from deploy.sources import sha256_bytes, walk_files

    lines = []
    for folder in REVIEWED:
        for rel, path in walk_files(tree / folder) if (tree / folder).is_dir() else []:
            lines.append(f"{folder}/{rel} {sha256_bytes(path.read_bytes())}")
    return sha256_bytes("\n".join(lines).encode())[:16]
