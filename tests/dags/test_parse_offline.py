"""Every DAG file parses with no network, no Variables, no Connections, no file reads.

MWAA re-parses each file every 30 s on every scheduler: top-level I/O costs all
day and breaks parsing whenever AWS or the metadata DB hiccups.
"""

from __future__ import annotations

import builtins
import importlib.util
import io
import socket

import pytest
from devkit.dag_files import DAG_FILE_IDS, DAG_FILES


def load(dag_file, module_name):
    spec = importlib.util.spec_from_file_location(module_name, dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def forbid(what, dag_file):
    def refuse(*args, **kwargs):
        raise AssertionError(f"{dag_file.name} calls {what} at parse time: resolve it in a task")

    return refuse


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=DAG_FILE_IDS)
def test_parses_offline(dag_file, monkeypatch):
    from airflow.models.variable import Variable as ModelVariable
    from airflow.sdk import BaseHook, Variable

    load(dag_file, f"warm_{dag_file.stem}")  # import its libraries first; they may read files

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, forbid(f"socket.{name}", dag_file))
    monkeypatch.setattr(socket, "create_connection", forbid("socket.create_connection", dag_file))
    monkeypatch.setattr(socket, "getaddrinfo", forbid("socket.getaddrinfo", dag_file))
    monkeypatch.setattr(Variable, "get", forbid("Variable.get", dag_file))
    monkeypatch.setattr(ModelVariable, "get", forbid("Variable.get", dag_file))
    monkeypatch.setattr(BaseHook, "get_connection", forbid("get_connection", dag_file))
    monkeypatch.setattr(builtins, "open", forbid("open()", dag_file))
    monkeypatch.setattr(io, "open", forbid("io.open()", dag_file))

    module = load(dag_file, f"offline_{dag_file.stem}")

    assert module.dag.dag_id == dag_file.stem
