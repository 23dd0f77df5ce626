"""The gate's rerun cache: a key that follows every readable file, and never in CI."""

from __future__ import annotations

import os
import subprocess

import pytest

from devkit.paths import REPO
from devkit.tools import gate_cache


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text(".cache/\n")
    (tmp_path / "a.sql").write_text("SELECT 1\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    return tmp_path


def test_the_key_is_stable_while_nothing_changes(repo):
    env = {"PATH": os.environ["PATH"]}
    assert gate_cache.key([], repo, env) == gate_cache.key([], repo, env)


@pytest.mark.parametrize(
    "change",
    [
        lambda repo: (repo / "a.sql").write_text("SELECT 2\n"),  # an edit, not staged
        lambda repo: (repo / "new.py").write_text(""),  # a new untracked file
        lambda repo: (repo / "a.sql").unlink(),  # a deletion
    ],
    ids=["edited", "untracked", "deleted"],
)
def test_any_change_a_test_could_read_makes_a_new_key(repo, change):
    before = gate_cache.key([], repo, {})
    change(repo)
    assert gate_cache.key([], repo, {}) != before


def test_an_edit_in_the_second_the_index_was_written_makes_a_new_key(repo):
    """Same size, same mtime second as the index: only git's racy check can see it."""
    second = 1_700_000_000
    os.utime(repo / "a.sql", (second, second))
    git(repo, "update-index", "--refresh")
    os.utime(repo / ".git" / "index", (second, second))
    before = gate_cache.key([], repo, {})
    (repo / "a.sql").write_text("SELECT 2\n")
    os.utime(repo / "a.sql", (second, second))
    assert gate_cache.key([], repo, {}) != before


def test_ignored_files_arguments_and_settings(repo):
    before = gate_cache.key([], repo, {})
    (repo / ".cache").mkdir()
    (repo / ".cache" / "state").write_text("x")
    assert gate_cache.key([], repo, {}) == before  # git-ignored: not read by the gate's tests
    assert gate_cache.key(["-k", "merge"], repo, {}) != before
    assert gate_cache.key([], repo, {"DEVKIT_PATCHES": "off"}) != before


def test_only_a_recorded_key_is_shown(tmp_path):
    assert gate_cache.show("k1", tmp_path) is None
    gate_cache.record("k1", "Gate summary (total 90s; full gate)\n", tmp_path)
    assert gate_cache.show("k1", tmp_path) == "Gate summary (total 90s; full gate)\n"
    assert gate_cache.show("k2", tmp_path) is None


@pytest.mark.parametrize(
    "env, on",
    [
        ({}, True),
        ({"CI": "true"}, False),
        ({"CI": "1"}, False),
        ({"CI": "false"}, True),
        ({"DEVKIT_GATE_CACHE": "off"}, False),
    ],
)
def test_off_in_ci_and_on_request(env, on):
    assert gate_cache.enabled(env) is on


def test_ci_run_cannot_use_it(tmp_path):
    """.ci/run, given a stand-in gate, hands it an environment where the cache is off."""
    (tmp_path / ".ci").mkdir()
    ci_run = tmp_path / ".ci" / "run"
    ci_run.write_bytes((REPO / ".ci" / "run").read_bytes())
    ci_run.chmod(0o755)
    gate = tmp_path / "run_tests_locally.sh"
    gate.write_text('#!/usr/bin/env bash\nenv > "$(dirname "$0")/seen.env"\n')
    gate.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", gate_cache.SWITCH)}
    subprocess.run([str(ci_run)], env=env, check=True)
    seen = dict(
        line.split("=", 1)
        for line in (tmp_path / "seen.env").read_text().splitlines()
        if "=" in line
    )
    assert not gate_cache.enabled(seen)
