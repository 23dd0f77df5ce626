"""The one door: versions checked, one warning line on a mismatch, DEVKIT_PATCHES=off."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from devkit import patches
from devkit.paths import REPO


def test_every_patch_declares_the_installed_versions_it_was_written_for():
    names = [p.name for p in patches.all_patches()]
    assert len(names) == len(set(names)), "patch names are unique"
    for patch in patches.all_patches():
        assert patch.written_for, f"{patch.name} declares no versions"
        assert patch.mismatches() == [], (
            f"{patch.name}: {patch.mismatches()}: check the patch against the installed "
            "version, then update its versions in devkit/patches/ (or delete it)"
        )


def test_a_patch_written_for_another_version_is_skipped_with_one_warning_line(caplog):
    applied = []
    stale = patches.Patch(
        "stale_for_test", {"fastapi": "0.1.0", "no-such-dist": "1.0"}, lambda: applied.append(1)
    )
    with caplog.at_level(logging.WARNING, logger="devkit.patches"):
        assert not patches.usable(stale)
        assert not patches.usable(stale)  # asked twice: still one line
    assert applied == []
    (line,) = [r.getMessage() for r in caplog.records if "stale_for_test" in r.getMessage()]
    assert "fastapi written for 0.1.0, installed 0." in line
    assert "no-such-dist written for 1.0, installed none" in line


def test_a_scoped_patch_that_may_not_run_is_a_no_op_block(monkeypatch):
    monkeypatch.setenv(patches.SWITCH, "off")
    with patches.scoped("task_logs_and_deferrals", REPO, {}, 0, None) as inside:
        assert inside is None


def test_devkit_patches_off_applies_none_of_them():
    """In a fresh process (patches are process-wide): every target keeps its original."""
    probe = (
        "import os, botocore.session, jsonschema, fastapi.dependencies.utils as u;"
        "from devkit import patches;"
        "loader, validate, dep = botocore.session.create_loader, jsonschema.validate,"
        " u.get_dependant;"
        "assert patches.apply_all() == ();"
        "assert (botocore.session.create_loader, jsonschema.validate, u.get_dependant)"
        " == (loader, validate, dep);"
        "os.environ['DEVKIT_PATCHES'] = 'on'; patches.apply_all.cache_clear();"
        "print(','.join(patches.apply_all()));"
        "assert jsonschema.validate is not validate"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env={**os.environ, patches.SWITCH: "off"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    applied = set(done.stdout.strip().split(","))
    expected = {p.name for p in patches.all_patches() if not p.scoped}
    assert applied == expected
