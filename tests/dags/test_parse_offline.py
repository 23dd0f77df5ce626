"""Every DAG file parses with no network, no Variables, no Connections, no file reads.

MWAA re-parses each file every 30 s on every scheduler: top-level I/O costs all
day and breaks parsing whenever AWS or the metadata DB hiccups. Works for every
DAG style: `with DAG(...)`, `dag = DAG(...)` and TaskFlow's `@dag`.
"""

from __future__ import annotations

import builtins
import importlib.util
import io
import socket
import sys

import pytest

from devkit.airflow.dag_files import DAG_FILE_IDS, DAG_FILES


def dags_defined_by(dag_file, module_name) -> list:
    """Execute the file as a module; every DAG it defines, named or auto-registered."""
    from airflow.sdk import DAG
    from airflow.sdk.definitions._internal.contextmanager import DagContext

    spec = importlib.util.spec_from_file_location(module_name, dag_file)
    module = importlib.util.module_from_spec(spec)
    # As the DAG processor does: DAGs made by `@dag` or `with DAG` register themselves.
    sys.modules[module_name] = module
    DagContext.autoregistered_dags.clear()
    DagContext.current_autoregister_module_name = module_name
    try:
        spec.loader.exec_module(module)
        found = {id(v): v for v in vars(module).values() if isinstance(v, DAG)}
        found.update({id(dag): dag for dag, _ in DagContext.autoregistered_dags})
    finally:
        DagContext.current_autoregister_module_name = None
        DagContext.autoregistered_dags.clear()
        sys.modules.pop(module_name, None)
    return list(found.values())


def forbid(what, dag_file):
    def refuse(*args, **kwargs):
        raise AssertionError(
            f"{dag_file.name} calls {what} at parse time: resolve it in a task, or in a "
            "template rendered at run time such as var(Var.X) from lakehouse.conventions"
        )

    return refuse


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=DAG_FILE_IDS)
def test_parses_offline(dag_file, monkeypatch):
    from airflow.models.variable import Variable as ModelVariable
    from airflow.sdk import BaseHook, Variable

    dags_defined_by(dag_file, f"warm_{dag_file.stem}")  # its libraries may read files on import

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, forbid(f"socket.{name}", dag_file))
    monkeypatch.setattr(socket, "create_connection", forbid("socket.create_connection", dag_file))
    monkeypatch.setattr(socket, "getaddrinfo", forbid("socket.getaddrinfo", dag_file))
    monkeypatch.setattr(Variable, "get", forbid("Variable.get", dag_file))
    monkeypatch.setattr(ModelVariable, "get", forbid("Variable.get", dag_file))
    monkeypatch.setattr(BaseHook, "get_connection", forbid("get_connection", dag_file))
    monkeypatch.setattr(builtins, "open", forbid("open()", dag_file))
    monkeypatch.setattr(io, "open", forbid("io.open()", dag_file))

    dags = dags_defined_by(dag_file, f"offline_{dag_file.stem}")

    assert [d.dag_id for d in dags] == [dag_file.stem], (
        f"{dag_file.name}: defines DAGs {[d.dag_id for d in dags]}; "
        f"the house rule is exactly one DAG per file, with dag_id {dag_file.stem!r}"
    )
