"""Docker-free AWS emulation for running the DAGs locally: ``with LocalAws(pg) as aws``."""

from devkit.emulator.server import FAKE_KEY, REDSHIFT_ROLE_ARN, LocalAws, patched_environ

__all__ = ["FAKE_KEY", "REDSHIFT_ROLE_ARN", "LocalAws", "patched_environ"]
