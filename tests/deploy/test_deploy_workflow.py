"""The deploy workflow: pinned actions, OIDC only, no credentials, never on PRs."""

from __future__ import annotations

import re

from devkit.paths import REPO

WORKFLOW = REPO / ".github" / "workflows" / "deploy.yml"


def test_every_action_is_pinned_to_a_full_sha_with_version_comment():
    uses = re.findall(r"^\s*(?:- )?uses:\s*(\S+)(.*)$", WORKFLOW.read_text(), re.MULTILINE)
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.search(r"#\s*v\d", comment), f"{ref}: add a version comment"


def test_oidc_not_keys_and_reusable_only():
    text = WORKFLOW.read_text()
    assert "secrets." not in text and "aws-access-key-id" not in text
    assert "workflow_call" in text and "pull_request" not in text.split("name: deploy", 1)[1]
    assert "persist-credentials: false" in text
    assert "cancel-in-progress: false" in text
