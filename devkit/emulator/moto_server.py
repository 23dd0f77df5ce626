"""moto's threaded server, checking for shutdown every 50 ms instead of every 500 ms,
and dispatching each request without listing moto's package folder.

Each stop (one per local run, one per integration-test module, the deploy tests'
S3) waits for that check.
"""

from __future__ import annotations

import functools

from moto import backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server


@functools.cache
def moto_modules() -> frozenset[str]:
    return frozenset(backends.list_of_moto_modules())


class ModulesListedOnce(DomainDispatcherApplication):
    """moto's dispatcher, with moto's package folder listed once per process.

    moto lists that folder (and stats its ~180 entries) twice per request to
    see whether the host names a module: ~20 % of the emulation's time per AWS call.
    The installed package does not change under a running server; the answer does not.
    """

    def get_backend_for_host(self, host: str | None):
        if host is None or host == "moto_api" or host in moto_modules():
            return host
        for backend, pattern in self.backend_url_patterns:
            if pattern.match(f"http://{host}"):
                return backend
        return super().get_backend_for_host(host)  # moto's own message for an unknown host


class QuickStoppingMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        app = ModulesListedOnce(create_backend_app)
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever(poll_interval=0.05)
