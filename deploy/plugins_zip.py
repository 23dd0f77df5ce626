"""Deterministic plugins.zip: identical plugin sources give identical bytes.

A changed zip means a new S3 version and a 10-30 minute environment update, so
the bytes must depend on file contents only: no mtimes, umask, walk order or
zlib build. Entries are therefore stored, not deflated (deflate output differs
between zlib builds, i.e. between Python builds on a laptop and in CI).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from deploy.sources import LocalObject, sha256_bytes, walk_files

PLUGINS_KEY = "plugins.zip"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--


def build_plugins_zip(plugins_dir: Path) -> bytes | None:
    """Zip the contents of plugins/ (zip root = the folder); None when empty."""
    files = walk_files(plugins_dir)
    if not files:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for rel, path in files:
            info = zipfile.ZipInfo(rel, date_time=FIXED_TIME)
            info.create_system = 3  # Unix, so the mode bits mean the same everywhere
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def plugins_object(repo: Path) -> LocalObject | None:
    """plugins.zip as an uploadable object, or None without plugin sources."""
    body = build_plugins_zip(repo / "plugins")
    if body is None:
        return None
    return LocalObject(PLUGINS_KEY, sha256_bytes(body), body=body)
