"""Docker-free AWS emulation for running the DAGs locally: ``with LocalAws(pg) as aws``.

One package per AWS service, as moto lays them out (redshift, athena, glue,
emr_serverless, ecs, s3, cloudformation); services moto lacks entirely in standins.
Some parts stand alone: Redshift's SQL on PostgreSQL (redshift.postgres,
redshift.sql), local Spark (emr_serverless.local_spark), the MWAA API stand-in.
`LocalAws` and friends load lazily, so importing one of those parts does not start
up moto. Every change to moto is declared in moto_extensions.py.
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
