"""How an extension of moto changes it, and how the change is put back.

An `Extension` (devkit/emulator/moto_extensions.py declares them all) is a list of
changes to moto's private API: `Replace` an attribute, `Wrap` it (the new value is
made from moto's own), `Add` one moto lacks, `AddModule` to `sys.modules`. Targets
and values are "module:dotted.name" strings, imported only when applied, so declaring
them costs nothing. An `Installation` applies a list of extensions and removes them
in reverse order, leaving every attribute as it found it. An extension tied to a moto
service is applied when the server first loads that service's backend
(`moto.backends.get_backend`): a run that never calls ECS never imports its models.
"""

from __future__ import annotations

import importlib
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable

MISSING = object()


class UnsupportedMoto(RuntimeError):
    """moto is not what an extension was written for: another version, or a name gone."""


def resolve(spec: str) -> Any:
    """The object "module:dotted.name" names (the module itself for "module")."""
    module, _, name = spec.partition(":")
    found = importlib.import_module(module)
    for part in filter(None, name.split(".")):
        found = getattr(found, part)
    return found


def owner_and_name(target: str) -> tuple[Any, str]:
    """The object holding `target` ("module:Owner.name"), and the name."""
    module, _, dotted = target.partition(":")
    owner, _, name = dotted.rpartition(".")
    return resolve(f"{module}:{owner}"), name


@dataclass(frozen=True)
class Replace:
    """Set `target` to the object `value` names; moto must have `target`."""

    target: str
    value: str

    def new_value(self, original: Any) -> Any:
        return resolve(self.value)

    def apply(self, extension: str) -> Callable[[], None]:
        owner, name = owner_and_name(self.target)
        saved = vars(owner).get(name, MISSING)  # MISSING (inherited or absent): undo deletes
        current = getattr(owner, name, MISSING)
        if (current is MISSING) != isinstance(self, Add):
            state = "lacks" if current is MISSING else "now has"
            raise UnsupportedMoto(f"moto extension {extension!r}: moto {state} {self.target}")
        setattr(owner, name, self.new_value(current))
        return lambda: _restore(owner, name, saved)


@dataclass(frozen=True)
class Wrap(Replace):
    """Set `target` to `value(moto's own)`: `value` names a factory of the replacement."""

    def new_value(self, original: Any) -> Any:
        return resolve(self.value)(original)


@dataclass(frozen=True)
class Add(Replace):
    """Set `target`, which moto lacks, to the object `value` names."""


@dataclass(frozen=True)
class AddModule:
    """Put the module `value()` makes into sys.modules as `target` (a backend moto lacks)."""

    target: str
    value: str

    def apply(self, extension: str) -> Callable[[], None]:
        if self.target in sys.modules:
            raise UnsupportedMoto(f"moto extension {extension!r}: moto now has {self.target}")
        sys.modules[self.target] = resolve(self.value)()
        return lambda: sys.modules.pop(self.target, None)


def _restore(owner: Any, name: str, saved: Any) -> None:
    if saved is MISSING:
        delattr(owner, name)
    else:
        setattr(owner, name, saved)


@dataclass(frozen=True)
class Extension:
    """One behaviour moto lacks: its changes, the moto version they were read against,
    why the emulation needs it, and the moto service (backend) it waits for, if any."""

    name: str
    written_for: str
    why: str
    changes: tuple[Replace | AddModule, ...]
    service: str | None = None


def version_mismatches(extensions, installed: str) -> list[str]:
    """`'name' (written for X)` for each extension not written for moto `installed`."""
    return [
        f"{e.name!r} (written for {e.written_for})"
        for e in extensions
        if e.written_for != installed
    ]


class Installation:
    """Extensions applied to moto, each change's undo kept, so `remove` restores all."""

    def __init__(self, extensions):
        self.extensions = tuple(extensions)
        self._undo: list[Callable[[], None]] = []
        self._pending = [e for e in self.extensions if e.service]
        self._lock = threading.RLock()  # server threads load backends side by side

    def apply(self) -> None:
        """The extensions without a service now, the others when moto loads their backend."""
        with self._lock:
            try:
                for extension in self.extensions:
                    if not extension.service:
                        self._apply(extension)
                if self._pending:
                    self._undo.append(self._hook_backend_loading())
            except BaseException:
                self.remove()  # nothing half-applied
                raise

    def _apply(self, extension: Extension) -> None:
        for change in extension.changes:
            self._undo.append(change.apply(extension.name))

    def _hook_backend_loading(self) -> Callable[[], None]:
        """moto's server loads a service's backend (`get_backend`) before its first request."""
        from moto import backends

        load = backends.get_backend

        def get_backend(name):
            self.on_backend(name)
            return load(name)

        backends.get_backend = get_backend
        return lambda: setattr(backends, "get_backend", load)

    def on_backend(self, service: str) -> None:
        """Apply the extensions waiting for `service` (once)."""
        with self._lock:
            for extension in [e for e in self._pending if e.service == service]:
                self._pending.remove(extension)
                self._apply(extension)

    def remove(self) -> None:
        """Undo every change, newest first; extensions never applied need nothing."""
        with self._lock:
            while self._undo:
                self._undo.pop()()
            self._pending = []
