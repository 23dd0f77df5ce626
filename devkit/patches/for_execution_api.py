"""Patch of how dag.test() sends a request to its in-process Execution API.

Airflow's in-process client hands each request to the API through a WSGI-to-ASGI
bridge (a2wsgi): four or five hand-overs between the task's thread and the API's
event-loop thread per request, and inside the API every sync dependency, endpoint
and response check goes to an anyio worker thread, about seven per request, on a
new thread each time (the bridge's request task is the "root" that owns them):
~20 thread switches a request, each a wait for the GIL and, on a busy machine, for
a CPU. The app, its routes, its sessions and what it stores and returns are unchanged.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import queue
import threading

from devkit.patches import Patch

# Set for the tasks of one request sent by `_OneHopTransport` (and their child tasks).
_IN_PROCESS_REQUEST = contextvars.ContextVar("devkit_in_process_request", default=False)


def serve_in_process_api_in_its_own_thread() -> None:
    """Send each request to one thread of the in-process API in one hand-over, and run
    its sync work in that same thread, as a worker thread would.

    The API keeps a thread of its own, so its thread-bound state (the scoped SQLAlchemy
    session) is never the calling task's. Each sync call still runs as anyio runs it in
    a worker: in a copy of the request's context, with no running event loop and no
    async library set, so code that looks for one behaves as in a worker. Only requests
    sent by this transport are served inline; any other anyio caller is left alone.
    """
    import anyio.to_thread
    from airflow.sdk.execution_time import supervisor

    built = supervisor.in_process_api_server
    if getattr(built, "_devkit_one_hop", False):
        return

    @functools.wraps(built)
    def in_process_api_server():
        api = built()
        bridged = api.transport  # Airflow's: starts the API's loop and lifespan
        if not isinstance(bridged, _OneHopTransport):  # once per API (per process, patched)
            api.transport = _OneHopTransport(api.app, bridged)
        return api

    in_process_api_server._devkit_one_hop = True
    supervisor.in_process_api_server = in_process_api_server
    anyio.to_thread.run_sync = _inline_for_in_process_requests(anyio.to_thread.run_sync)


def _inline_for_in_process_requests(run_sync):
    """anyio's `to_thread.run_sync`, run in the calling thread for in-process requests."""

    @functools.wraps(run_sync)
    async def in_worker_or_inline(func, *args, abandon_on_cancel=False, cancellable=None, **kw):
        if not _IN_PROCESS_REQUEST.get():
            return await run_sync(
                func, *args, abandon_on_cancel=abandon_on_cancel, cancellable=cancellable, **kw
            )
        return _as_in_a_worker(func, args)

    in_worker_or_inline.original = run_sync
    return in_worker_or_inline


def _as_in_a_worker(func, args: tuple):
    """`func(*args)` as anyio's worker thread runs it: in a copy of the caller's context,
    with sniffio's library unset and no running event loop."""
    import sniffio

    context = contextvars.copy_context()
    context.run(sniffio.current_async_library_cvar.set, None)
    loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        return context.run(func, *args)
    finally:
        asyncio.events._set_running_loop(loop)


class _OneHopTransport:
    """An httpx transport that runs the ASGI app in a thread of its own, in one hand-over
    per request (request bytes in, response bytes out).

    The hand-over is a queue, not the event loop's wake-up pipe: the caller keeps the
    GIL until it waits for the answer, so the API's thread never starts a request only
    to be made to give the GIL back (a forced switch per request, costly on a busy
    machine). The API's thread runs each request on an event loop of its own; the
    lifespan stays on the loop Airflow's transport started it on. Errors come back as
    the app's own 500 response, as through the bridge.
    """

    def __init__(self, app, bridged):
        import httpx

        self.bridged = bridged  # Airflow's a2wsgi transport: its loop ran the lifespan
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._serve_forever, name="devkit in-process Execution API", daemon=True
        )
        self._thread.start()

    def handle_request(self, request):
        if threading.current_thread() is self._thread:
            raise RuntimeError(
                "the in-process Execution API was called from its own thread; "
                "devkit/patches/for_execution_api.py serves it in one thread: run with "
                "DEVKIT_PATCHES=off to use Airflow's own bridge"
            )
        request.read()
        answer: queue.SimpleQueue = queue.SimpleQueue()
        self._requests.put((request, answer))
        response, error = answer.get()
        if error is not None:
            raise error
        return response

    def _serve_forever(self) -> None:
        loop = asyncio.new_event_loop()
        while True:
            request, answer = self._requests.get()
            try:
                answer.put((loop.run_until_complete(self._serve(request)), None))
            except BaseException as error:  # the caller raises it, as the bridge would
                answer.put((None, error))

    async def _serve(self, request):
        import httpx

        _IN_PROCESS_REQUEST.set(True)
        response = await self._asgi.handle_async_request(request)
        body = b"".join([chunk async for chunk in response.stream])
        return httpx.Response(
            response.status_code, headers=response.headers.raw, stream=httpx.ByteStream(body)
        )

    def close(self) -> None:
        """Nothing to close: the API serves the whole process (as Airflow's transport)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


PATCHES = (
    Patch(
        "serve_in_process_api_in_its_own_thread",
        {
            "apache-airflow-core": "3.2.1",
            "apache-airflow-task-sdk": "1.2.1",
            "a2wsgi": "1.10.10",
            "anyio": "4.13.0",
            "httpx": "0.28.1",
            "sniffio": "1.3.1",
        },
        serve_in_process_api_in_its_own_thread,
    ),
)
