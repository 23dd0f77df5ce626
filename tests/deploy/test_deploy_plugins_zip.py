"""plugins.zip must be byte-identical for identical sources, whatever the checkout."""

from __future__ import annotations

import io
import os
import zipfile

from deploy.plugins_zip import build_plugins_zip
from tests.deploy.conftest import REPO_FILES, write_tree

PLUGIN_FILES = {k: v for k, v in REPO_FILES.items() if k.startswith("plugins/")}


def _checkout(root, order, umask, mtime):
    old = os.umask(umask)
    try:
        return write_tree(root, {k: PLUGIN_FILES[k] for k in order}, mtime=mtime)
    finally:
        os.umask(old)


def test_two_checkouts_give_identical_bytes(tmp_path):
    keys = list(PLUGIN_FILES)
    first = _checkout(tmp_path / "a", keys, 0o022, 1_600_000_000)
    second = _checkout(tmp_path / "b", list(reversed(keys)), 0o077, 1_700_000_000)
    (second / "plugins/lakehouse/__init__.py").chmod(0o755)
    assert build_plugins_zip(first / "plugins") == build_plugins_zip(second / "plugins")


def test_layout_exclusions_and_fixed_metadata(tmp_path):
    root = write_tree(tmp_path / "r", PLUGIN_FILES)
    archive = zipfile.ZipFile(io.BytesIO(build_plugins_zip(root / "plugins")))
    names = archive.namelist()
    assert names == ["lakehouse/__init__.py", "lakehouse/redshift.py"]
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644


def test_no_plugins_folder_means_no_zip(tmp_path):
    assert build_plugins_zip(tmp_path / "missing") is None
