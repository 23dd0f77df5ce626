"""LocalAws's own helpers (devkit/emulator/server.py)."""

from __future__ import annotations

import pytest


def test_the_set_up_s3_client_is_made_once_and_does_what_a_new_one_does(local_aws):
    """One client for every put, list and read of the set-up principal (the run's set-up
    made ~35 of them, ~4 ms of CPU each); objects land as through a client of its own."""
    shared = local_aws.s3_client()
    assert local_aws.s3_client() is shared
    assert shared.meta.endpoint_url == local_aws.endpoint_url
    local_aws.create_bucket("shared-client-t")
    local_aws.put_object("shared-client-t", "a/b.txt", "body")
    assert local_aws.list_keys("shared-client-t", "a/") == ["a/b.txt"]
    own = local_aws.client("s3")
    assert own is not shared
    assert own.get_object(Bucket="shared-client-t", Key="a/b.txt")["Body"].read() == b"body"


def test_an_emulation_not_started_has_no_s3_client(embedded_postgres):
    from devkit.emulator import LocalAws

    with pytest.raises(RuntimeError, match="LocalAws is not started"):
        LocalAws(postgres=embedded_postgres).s3_client()
