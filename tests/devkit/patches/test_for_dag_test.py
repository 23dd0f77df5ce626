"""The dag.test() patch keeps behaviour: every task talks to the one in-process API
through one client built as Airflow builds it, and the API serves every request with
its own DBDagBag, as Airflow's API server does."""

from __future__ import annotations

from devkit import patches


def test_every_task_shares_one_client_of_the_api_and_the_api_s_own_dag_bag():
    from airflow.api_fastapi.common.dagbag import dag_bag_from_app
    from airflow.models.dagbag import DBDagBag
    from airflow.sdk import DAG
    from airflow.sdk.execution_time import supervisor

    patches.apply_all()
    api = supervisor.in_process_api_server()
    dag = DAG("tickit__shared_client", schedule=None)

    client = supervisor.InProcessTestSupervisor._api_client(dag)
    assert supervisor.InProcessTestSupervisor._api_client(dag) is client
    assert supervisor.InProcessTestSupervisor._api_client() is client  # a trigger's too
    assert client._transport is api.transport
    assert str(client.base_url) == "http://in-process.invalid./"
    assert client.headers["airflow-api-version"]  # Airflow's own client class and headers
    assert dag_bag_from_app not in api.app.dependency_overrides  # the app's own bag serves
    assert isinstance(api.app.state.dag_bag, DBDagBag)
    assert client.get("health").json() == {"status": "healthy"}  # requests still go through

    # Another transport (Airflow's own per-task app, unpatched) gets a client of its own.
    api.transport, kept = object(), api.transport
    try:
        assert supervisor.InProcessTestSupervisor._api_client(dag)._transport is api.transport
    finally:
        api.transport = kept
