"""Patches of what dag.test() does around each task, beside the Execution API's requests.

dag.test() sets up per task what Airflow's API server and scheduler set up once per
process. Nothing here changes what a task runs, reads, writes or emits, nor a request
the in-process Execution API answers; if the targets move, runs are slower, not
different.
"""

from __future__ import annotations

from devkit.patches import Patch

AIRFLOW = {"apache-airflow-core": "3.2.1", "apache-airflow-task-sdk": "1.2.1"}


def one_dag_bag_per_in_process_api() -> None:
    """Give the in-process Execution API one DBDagBag for its lifetime, not one per task.

    dag.test()'s supervisor overrides the API's DBDagBag dependency with a new bag and
    a new function for every task, so FastAPI analyses that new dependency again at the
    task's requests (and keeps each one). Airflow's API server builds one DBDagBag when
    it starts and serves every request with it: a DAG version never changes, so the
    bag's cache (by version id) holds for every task. The client is built as Airflow
    builds it (private code of `InProcessTestSupervisor._api_client`).
    """
    from airflow.api_fastapi.common.dagbag import dag_bag_from_app
    from airflow.sdk.execution_time import supervisor

    test_supervisor = supervisor.InProcessTestSupervisor

    def _api_client(dag=None):
        api = supervisor.in_process_api_server()
        if dag is not None:
            overrides = api.app.dependency_overrides
            if not getattr(overrides.get(dag_bag_from_app), "devkit_shared", False):
                overrides[dag_bag_from_app] = _shared_dag_bag()
        client = test_supervisor._Client(
            base_url=None, token="", dry_run=True, transport=api.transport
        )
        client.base_url = "http://in-process.invalid./"
        return client

    test_supervisor._api_client = staticmethod(_api_client)


def _shared_dag_bag():
    """The API's dag-bag dependency: one DBDagBag, for every request of one API app."""
    from airflow.models.dagbag import DBDagBag

    dag_bag = DBDagBag()

    def shared_dag_bag():
        return dag_bag

    shared_dag_bag.devkit_shared = True
    return shared_dag_bag


PATCHES = (
    Patch(
        "one_dag_bag_per_in_process_api",
        {**AIRFLOW, "fastapi": "0.136.0"},
        one_dag_bag_per_in_process_api,
    ),
)
