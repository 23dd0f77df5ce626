"""moto's extensions: refused on another moto version, put back in full on stop.

devkit/emulator/moto_extensions.py declares them; devkit/emulator/moto_changes.py applies
and removes them. The mechanism is tested on a stand-in module here; the real extensions
once, in a fresh process (a running emulation in this worker would hold them).
"""

from __future__ import annotations

import json
import subprocess
import sys
import types

import moto
import pytest

from devkit.emulator import moto_extensions
from devkit.emulator.moto_changes import (
    Add,
    AddModule,
    Extension,
    Installation,
    Replace,
    UnsupportedMoto,
    Wrap,
)
from devkit.emulator.server import LocalAws

TOY = "tests_toy_moto"


class Backend:
    def run(self):
        return "moto"


def _loud(run):
    return lambda self: run(self).upper()


@pytest.fixture
def toy(monkeypatch):
    """A stand-in for a moto module, and for the functions an extension puts in."""
    module = types.ModuleType(TOY)
    module.Backend = Backend
    module.replacement = lambda self: "ours"
    module.loud = _loud
    module.extra = lambda self: "added"
    module.new_module = lambda: types.ModuleType(f"{TOY}.service")
    monkeypatch.setitem(sys.modules, TOY, module)
    return module


def test_another_moto_version_refuses_to_start_naming_each_extension(monkeypatch):
    get_backend = moto.backends.get_backend
    monkeypatch.setattr(moto, "__version__", "5.3.0")
    aws = LocalAws(postgres=None)
    with pytest.raises(UnsupportedMoto) as refused:
        aws.start()
    message = str(refused.value)
    assert "moto 5.3.0 is installed" in message
    for extension in moto_extensions.EXTENSIONS:
        assert f"{extension.name!r} (written for {extension.written_for})" in message
    assert "devkit/emulator/moto_extensions.py" in message
    with pytest.raises(RuntimeError, match="not started"):
        aws.endpoint_url  # nothing started
    assert moto.backends.get_backend is get_backend  # nothing applied


def test_every_extension_names_its_moto_version_and_why():
    names = [e.name for e in moto_extensions.EXTENSIONS]
    assert len(names) == len(set(names))
    for extension in moto_extensions.EXTENSIONS:
        assert extension.written_for == moto.__version__, extension.name
        assert extension.why and extension.changes, extension.name


def test_changes_apply_and_removal_restores_every_attribute(toy):
    extension = Extension(
        "toy",
        moto.__version__,
        "why",
        (
            Replace(f"{TOY}:Backend.run", f"{TOY}:replacement"),
            Add(f"{TOY}:Backend.extra", f"{TOY}:extra"),
            AddModule(f"{TOY}.service", f"{TOY}:new_module"),
        ),
    )
    installation = Installation([extension])
    installation.apply()
    assert Backend().run() == "ours" and Backend().extra() == "added"
    assert f"{TOY}.service" in sys.modules
    installation.remove()
    assert vars(Backend)["run"] is toy.Backend.__dict__["run"] and Backend().run() == "moto"
    assert not hasattr(Backend, "extra") and f"{TOY}.service" not in sys.modules


def test_a_wrap_gets_motos_own_and_a_service_waits_for_its_backend(toy):
    own = vars(Backend)["run"]
    load = moto.backends.get_backend
    extension = Extension(
        "toy", moto.__version__, "why", (Wrap(f"{TOY}:Backend.run", f"{TOY}:loud"),), "s3"
    )
    installation = Installation([extension])
    installation.apply()
    assert Backend().run() == "moto"  # not yet: moto has not loaded the service
    moto.backends.get_backend("s3")
    assert Backend().run() == "MOTO"
    installation.remove()
    assert vars(Backend)["run"] is own and moto.backends.get_backend is load


def test_a_change_moto_does_not_fit_is_refused_and_nothing_stays_applied(toy):
    extension = Extension(
        "toy",
        moto.__version__,
        "why",
        (
            Replace(f"{TOY}:Backend.run", f"{TOY}:replacement"),
            Add(f"{TOY}:Backend.run", f"{TOY}:extra"),  # moto already has it
        ),
    )
    with pytest.raises(UnsupportedMoto, match=rf"'toy': moto now has {TOY}:Backend.run"):
        Installation([extension]).apply()
    assert Backend().run() == "moto"


ROUND_TRIP = """
import json, sys
from devkit.emulator import moto_extensions as m
from devkit.emulator.moto_changes import AddModule, resolve, owner_and_name, MISSING

def state():
    out = {}
    for extension in m.EXTENSIONS:
        for change in extension.changes:
            if isinstance(change, AddModule):
                out[change.target] = id(sys.modules.get(change.target))
            else:
                owner, name = owner_and_name(change.target)
                out[change.target] = id(vars(owner).get(name, MISSING))
    return out

before = state()
m.install()
for service in {e.service for e in m.EXTENSIONS if e.service}:
    m.current().on_backend(service)
during = state()
m.remove()
print(json.dumps({"before": before, "during": during, "after": state()}))
"""


def test_stop_puts_back_every_attribute_the_extensions_replaced():
    result = subprocess.run(
        [sys.executable, "-c", ROUND_TRIP], capture_output=True, text=True, check=True
    )
    states = json.loads(result.stdout.strip().splitlines()[-1])
    targets = {c.target for e in moto_extensions.EXTENSIONS for c in e.changes}
    assert set(states["before"]) == targets
    assert [t for t in targets if states["during"][t] == states["before"][t]] == []
    assert states["after"] == states["before"]
