"""Every local patch of a third-party package, behind one door.

The local run and the tests patch private APIs of Airflow, the amazon provider,
FastAPI, botocore, jsonschema, Jinja and the DataHub plugin to make `dag.test()` cheap and
its output readable. Each patch may change speed and plumbing only, never what a
task does or emits (docs/local_emulation.md lists them and why each is safe). Each
declares the package versions it was written for: on any other installed version
it is skipped with one warning line, so an upgrade makes runs slower, not different.
`DEVKIT_PATCHES=off` applies none of them: the gate runs a TICKIT lane that way,
through every patched function (tests/dags/test_unpatched_tickit_night.py), to prove
nothing depends on them.

The emulation's own extensions of moto (devkit/emulator/) are not here: they are
the emulated AWS API itself, not a change to how Airflow runs.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Callable

SWITCH = "DEVKIT_PATCHES"
# One module per patched package; each defines PATCHES, a tuple of `Patch`.
MODULES = (
    "devkit.patches.for_airflow",
    "devkit.patches.for_fastapi",
    "devkit.patches.for_execution_api",
    "devkit.patches.for_botocore",
    "devkit.patches.for_amazon_provider",
    "devkit.patches.for_jsonschema",
    "devkit.patches.for_datahub_plugin",
    "devkit.patches.for_dag_test",
    "devkit.patches.for_jinja2",
)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Patch:
    """One patch: `apply` changes the process (process-wide) or returns a context manager
    for a block (`scoped`); `written_for` maps distribution names to exact versions."""

    name: str
    written_for: dict[str, str]
    apply: Callable
    scoped: bool = False

    def mismatches(self) -> list[str]:
        """`package written for X, installed Y` for every declared version that differs."""
        found = []
        for package, wanted in self.written_for.items():
            try:
                installed = version(package)
            except PackageNotFoundError:
                installed = "none"
            if installed != wanted:
                found.append(f"{package} written for {wanted}, installed {installed}")
        return found


def enabled() -> bool:
    """False when DEVKIT_PATCHES is off (also 0, false, no): nothing is patched."""
    return os.environ.get(SWITCH, "on").strip().lower() not in ("off", "0", "false", "no")


def all_patches() -> tuple[Patch, ...]:
    return tuple(p for module in MODULES for p in importlib.import_module(module).PATCHES)


def usable(patch: Patch) -> bool:
    """Whether `patch` may run here: patches on and every declared version installed.

    A version mismatch is reported once per process, in one warning line.
    """
    if not enabled():
        return False
    mismatches = patch.mismatches()
    if mismatches:
        _warn_once(patch.name, "; ".join(mismatches))
        return False
    return True


@functools.cache
def _warn_once(name: str, detail: str) -> None:
    log.warning("devkit patch %s skipped (%s)", name, detail)


@functools.cache
def apply_all() -> tuple[str, ...]:
    """Apply every usable process-wide patch, once per process; returns their names.

    Called before every local DagRun and by the lineage domain. A patch whose target
    moved (ImportError/AttributeError) is skipped with one warning line too.
    """
    applied = []
    if not enabled():
        log.info("%s=off: no devkit patch applied", SWITCH)
        return ()
    for patch in all_patches():
        if patch.scoped or not usable(patch):
            continue
        try:
            patch.apply()
        except (ImportError, AttributeError) as moved:
            _warn_once(patch.name, f"target moved: {moved}")
            continue
        applied.append(patch.name)
    return tuple(applied)


def scoped(name: str, *args, **kwargs) -> contextlib.AbstractContextManager:
    """The context manager of the scoped patch `name`, or a no-op one if it may not run."""
    found = [p for p in all_patches() if p.name == name and p.scoped]
    if not found:
        raise KeyError(f"no scoped patch {name!r} in devkit/patches/ ({', '.join(MODULES)})")
    (patch,) = found
    if not usable(patch):
        return contextlib.nullcontext()
    return patch.apply(*args, **kwargs)
