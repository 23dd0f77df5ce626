"""The emulation's moto server dispatches as moto does, without listing moto's folder
at every request."""

from __future__ import annotations

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
