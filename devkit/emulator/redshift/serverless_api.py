"""The Redshift Serverless API's read calls on the moto server, from redshift_serverless.

Registered by devkit/emulator/moto_extensions.py (moto_module, with_service_url); the
stack creates what they read.
"""

from __future__ import annotations

import json
import re
import types

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse

from devkit.emulator.redshift import serverless as rs

_URL_BASES = [r"https?://redshift-serverless\.(.+)\.amazonaws\.com"]


class RedshiftServerlessResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="redshift-serverless")

    def _found(self, lookup, name: str):
        try:
            return lookup(self.current_account, self.region, name)
        except rs.NotFound as missing:
            raise JsonRESTError("ResourceNotFoundException", f"{missing.args[0]} not found")

    def get_workgroup(self):
        workgroup = self._found(rs.workgroup, self._get_param("workgroupName"))
        return 200, {}, json.dumps({"workgroup": workgroup.describe()})

    def get_namespace(self):
        namespace = self._found(rs.namespace, self._get_param("namespaceName"))
        return 200, {}, json.dumps({"namespace": namespace.describe()})

    def list_workgroups(self):
        found = rs.workgroups(self.current_account, self.region)
        return 200, {}, json.dumps({"workgroups": [w.describe() for w in found]})


class RedshiftServerlessBackend(BaseBackend):
    """Holds nothing itself: the state is devkit/emulator/redshift/serverless.py's."""

    @property
    def _url_module(self):
        return types.SimpleNamespace(
            url_bases=_URL_BASES, url_paths={"{0}/$": RedshiftServerlessResponse.dispatch}
        )


def moto_module() -> types.ModuleType:
    """The module moto imports for a backend (moto.backends._import_backend)."""
    module = types.ModuleType("moto.redshiftserverless")
    module.redshiftserverless_backends = BackendDict(
        RedshiftServerlessBackend, "redshift-serverless"
    )
    return module


def with_service_url(patterns: list) -> list:
    """moto's backend_url_patterns, Redshift Serverless's endpoint first."""
    return [("redshiftserverless", re.compile(_URL_BASES[0])), *patterns]
