"""Redshift Serverless namespaces and workgroups, which moto has no backend for.

The stack creates them (devkit/emulator/cloudformation/resources.py); the Data API's
statements then run on the namespace's database, which is a PostgreSQL database
of the same name (`on_namespace`, set by LocalAws, creates it). Workgroups get a
UUID WorkgroupId as on AWS, so code that resolves ids from names meets the same
shape. The API (GetWorkgroup, GetNamespace, ListWorkgroups) is served on the moto
server by devkit/emulator/moto_extensions.py.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

# Redshift names the admin's managed secret redshift!<namespace>-admin.
ADMIN_SECRET_PREFIX = "redshift!"  # pragma: allowlist secret


@dataclass
class Namespace:
    name: str
    account_id: str
    region: str
    db_name: str
    admin_username: str
    iam_roles: list[str]
    admin_secret_arn: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: float = field(default_factory=time.time)

    @property
    def arn(self) -> str:
        return f"arn:aws:redshift-serverless:{self.region}:{self.account_id}:namespace/{self.id}"

    def describe(self) -> dict:
        described = {
            "namespaceName": self.name,
            "namespaceId": self.id,
            "namespaceArn": self.arn,
            "dbName": self.db_name,
            "adminUsername": self.admin_username,
            "iamRoles": self.iam_roles,
            "status": "AVAILABLE",
            "creationDate": self.created,
        }
        if self.admin_secret_arn:
            described["adminPasswordSecretArn"] = self.admin_secret_arn
        return described


@dataclass
class Workgroup:
    name: str
    namespace: str
    account_id: str
    region: str
    port: int = 5439
    base_capacity: int = 8
    max_capacity: int | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: float = field(default_factory=time.time)

    @property
    def arn(self) -> str:
        return f"arn:aws:redshift-serverless:{self.region}:{self.account_id}:workgroup/{self.id}"

    @property
    def address(self) -> str:
        return f"{self.name}.{self.account_id}.{self.region}.redshift-serverless.amazonaws.com"

    def describe(self) -> dict:
        return {
            "workgroupName": self.name,
            "workgroupId": self.id,
            "workgroupArn": self.arn,
            "namespaceName": self.namespace,
            "baseCapacity": self.base_capacity,
            "status": "AVAILABLE",
            "endpoint": {"address": self.address, "port": self.port},
            "creationDate": self.created,
        }


class NotFound(KeyError):
    """No namespace or workgroup of that name (ResourceNotFoundException on the API)."""


_lock = threading.Lock()
_namespaces: dict[tuple[str, str, str], Namespace] = {}
_workgroups: dict[tuple[str, str, str], Workgroup] = {}
# What creating a namespace does besides: LocalAws creates its database in PostgreSQL.
on_namespace: Callable[[Namespace], None] | None = None


def add_namespace(namespace: Namespace) -> Namespace:
    with _lock:
        _namespaces[(namespace.account_id, namespace.region, namespace.name)] = namespace
    if on_namespace is not None:
        on_namespace(namespace)
    return namespace


def add_workgroup(workgroup: Workgroup) -> Workgroup:
    with _lock:
        _workgroups[(workgroup.account_id, workgroup.region, workgroup.name)] = workgroup
    return workgroup


def remove(kind: str, account_id: str, region: str, name: str) -> None:
    store = _namespaces if kind == "namespace" else _workgroups
    with _lock:
        store.pop((account_id, region, name), None)


def namespace(account_id: str, region: str, name: str) -> Namespace:
    try:
        return _namespaces[(account_id, region, name)]
    except KeyError:
        raise NotFound(f"namespace {name}") from None


def workgroup(account_id: str, region: str, name: str) -> Workgroup:
    try:
        return _workgroups[(account_id, region, name)]
    except KeyError:
        raise NotFound(f"workgroup {name}") from None


def workgroups(account_id: str, region: str) -> list[Workgroup]:
    return [w for (a, r, _), w in sorted(_workgroups.items()) if (a, r) == (account_id, region)]


def admin_secret(username: str, password: str) -> str:
    """The managed admin secret's value, as Redshift writes it."""
    return json.dumps({"username": username, "password": password})
