"""The dag.test() patches keep behaviour: the in-process API gets one DBDagBag for its
lifetime, as Airflow's API server has, and its client is built as Airflow builds it."""

from __future__ import annotations

from devkit import patches


def test_every_task_s_client_shares_one_dag_bag_and_talks_to_the_one_api():
    from airflow.api_fastapi.common.dagbag import dag_bag_from_app
    from airflow.models.dagbag import DBDagBag
    from airflow.sdk import DAG
    from airflow.sdk.execution_time import supervisor

    patches.apply_all()
    api = supervisor.in_process_api_server()
    overrides = api.app.dependency_overrides
    dag = DAG("tickit__shared_bag", schedule=None)

    first = supervisor.InProcessTestSupervisor._api_client(dag)
    dependency = overrides[dag_bag_from_app]
    bag = dependency()
    second = supervisor.InProcessTestSupervisor._api_client(dag)
    assert overrides[dag_bag_from_app] is dependency  # FastAPI analyses it once
    assert isinstance(bag, DBDagBag) and dependency() is bag
    for client in (first, second):
        assert client._transport is api.transport
        assert str(client.base_url) == "http://in-process.invalid./"

    # A trigger's client (no DAG) leaves the API's bag alone, as Airflow's does.
    supervisor.InProcessTestSupervisor._api_client()
    assert overrides[dag_bag_from_app] is dependency

    # Another bag in the app's overrides (not this patch's) is replaced by a shared one.
    overrides[dag_bag_from_app] = lambda: DBDagBag()
    supervisor.InProcessTestSupervisor._api_client(dag)
    assert overrides[dag_bag_from_app]() is overrides[dag_bag_from_app]()
