"""Docker-free AWS emulation for running the DAGs locally: ``with LocalAws(pg) as aws``.

Also its parts that stand alone: Redshift's SQL on PostgreSQL (postgres,
redshift_sql), local Spark, the MWAA API fake. `LocalAws` and friends load
lazily, so importing one of those parts does not start up moto.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__all__ = ["FAKE_KEY", "REDSHIFT_ROLE_ARN", "LocalAws", "patched_environ"]

if TYPE_CHECKING:
    from devkit.emulator.server import FAKE_KEY, REDSHIFT_ROLE_ARN, LocalAws, patched_environ


def __getattr__(name: str):
    if name in __all__:
        return getattr(importlib.import_module("devkit.emulator.server"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
