"""The emulation's moto server dispatches as moto does, without listing moto's folder
at every request."""

from __future__ import annotations

import pytest
from moto import backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from devkit.emulator.moto_server import ModulesListedOnce, moto_modules

HOSTS = (
    None,
    "moto_api",
    "s3",
    "secretsmanager.us-east-1.amazonaws.com",
    "redshift-data.us-east-1.amazonaws.com",
    "emr-serverless.us-east-1.amazonaws.com",
    "sts.amazonaws.com",
    "glue.us-east-1.amazonaws.com",
    "127.0.0.1:5000",
)


def test_each_host_goes_to_the_backend_moto_would_choose(capsys):
    ours, motos = ModulesListedOnce(create_backend_app), DomainDispatcherApplication(
        create_backend_app
    )
    chosen = {host: ours.get_backend_for_host(host) for host in HOSTS}
    assert chosen == {host: motos.get_backend_for_host(host) for host in HOSTS}
    assert chosen["secretsmanager.us-east-1.amazonaws.com"] == "secretsmanager"
    unknown = "no-such-service.us-east-1.amazonaws.com"
    assert ours.get_backend_for_host(unknown) is None
    assert unknown in capsys.readouterr().out  # moto's own message names the host


def test_requests_do_not_list_motos_folder(monkeypatch):
    listed = []
    original = backends.list_of_moto_modules
    assert moto_modules() == frozenset(original())
    monkeypatch.setattr(backends, "list_of_moto_modules", lambda: listed.append(1) or original())
    dispatcher = ModulesListedOnce(create_backend_app)
    for host in ("s3", "secretsmanager.us-east-1.amazonaws.com", "sts.amazonaws.com"):
        assert dispatcher.get_backend_for_host(host)
    assert listed == []


# --- LocalAws around the server (devkit/emulator/server.py) -------------------------------


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
