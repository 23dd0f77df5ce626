"""Patches of what dag.test() does around each task, beside the Execution API's requests.

dag.test() sets up per task what Airflow's API server and scheduler set up once per
process. Nothing here changes what a task runs, reads, writes or emits, nor a request
the in-process Execution API answers; if the targets move, runs are slower, not
different.
"""

from __future__ import annotations

from devkit.patches import Patch

AIRFLOW = {"apache-airflow-core": "3.2.1", "apache-airflow-task-sdk": "1.2.1"}


def one_client_per_in_process_api() -> None:
    """Give dag.test()'s tasks one Execution API client per in-process API, and the
    API's own DBDagBag.

    For every task, dag.test()'s supervisor builds a new client (an httpx Client, ~0.8 ms
    of CPU) and overrides the API's DBDagBag dependency with a new bag and function,
    which FastAPI analyses again and keeps. The client holds nothing of a task: the same
    base URL, headers, empty token and transport for every task; a worker keeps one
    client too. The in-process app already holds the one DBDagBag that Airflow's API
    server builds at start-up and serves every request with (`app.state.dag_bag`); it
    caches DAGs by version id, as on MWAA. Private code of `_api_client`.
    """
    from airflow.sdk.execution_time import supervisor

    test_supervisor = supervisor.InProcessTestSupervisor
    latest: list = [None, None]  # the API (one per process, see for_airflow) and its client

    def _api_client(dag=None):
        api = supervisor.in_process_api_server()
        shared_api, client = latest
        if shared_api is not api or client._transport is not api.transport:
            client = test_supervisor._Client(
                base_url=None, token="", dry_run=True, transport=api.transport
            )
            client.base_url = "http://in-process.invalid./"
            latest[:] = [api, client]
        return client

    test_supervisor._api_client = staticmethod(_api_client)


PATCHES = (
    Patch(
        "one_client_per_in_process_api",
        {**AIRFLOW, "httpx": "0.28.1"},
        one_client_per_in_process_api,
    ),
)
