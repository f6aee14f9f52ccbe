"""requirements.lock is what every install of the development environment gets: these
tests fail when it no longer answers pyproject.toml (refresh it with scripts/lock), or
when the environment running the tests holds other versions than the lock."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "next-step-together"
EXTRAS = ("dev", "uvloop")  # what scripts/lock and scripts/_venv.sh install
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)(?:\s*;\s*(.+?))?\s*\\?$")
# Where the lock must hold: every supported Python on the platforms admins run.
TARGETS = [
    {"python_version": v, "python_full_version": f"{v}.0", "sys_platform": p,
     "platform_system": s, "implementation_name": "cpython",
     "platform_python_implementation": "CPython", "os_name": o}
    for v in ("3.11", "3.12", "3.13")
    for p, s, o in (("linux", "Linux", "posix"), ("darwin", "Darwin", "posix"))
]  # fmt: skip


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    marker: Marker | None
    via_project: bool
    hashed: bool

    def applies(self, env: dict[str, str]) -> bool:
        return self.marker is None or self.marker.evaluate(env)


def read_lock(text: str) -> dict[str, list[Pin]]:
    pins: dict[str, list[Pin]] = {}
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    for block in blocks:
        first = block.splitlines()[0]
        m = PIN.match(first)
        if m is None:
            continue
        name = canonicalize_name(m.group(1))
        pin = Pin(
            name,
            m.group(2),
            Marker(m.group(3)) if m.group(3) else None,
            f"{PROJECT} (pyproject.toml)" in block,
            "--hash=sha256:" in block,
        )
        pins.setdefault(name, []).append(pin)
    return pins


def project_requirements() -> list[Requirement]:
    """pyproject.toml's dependencies and those of the locked extras, self-references
    (``next-step-together[test]``) followed."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    optional = project["optional-dependencies"]
    out = [Requirement(r) for r in project["dependencies"]]
    todo, seen = list(EXTRAS), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in optional[extra]:
            req = Requirement(text)
            if canonicalize_name(req.name) == PROJECT:
                todo.extend(req.extras)
            else:
                out.append(req)
    return out


LOCK = read_lock((ROOT / "requirements.lock").read_text())


def test_the_lock_was_made_by_scripts_lock_with_hashes() -> None:
    head = (ROOT / "requirements.lock").read_text().splitlines()[:2]
    assert head[1].strip() == "#    scripts/lock", "refresh the lock with scripts/lock"
    assert LOCK
    assert all(p.hashed for pins in LOCK.values() for p in pins)


@pytest.mark.parametrize(
    "env", TARGETS, ids=[f"{t['python_version']}-{t['sys_platform']}" for t in TARGETS]
)
def test_every_requirement_of_pyproject_is_pinned_within_its_range(env: dict[str, str]) -> None:
    for req in project_requirements():
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        pins = [p for p in LOCK.get(canonicalize_name(req.name), []) if p.applies(env)]
        assert len(pins) == 1, f"{req.name} is not locked (run scripts/lock)"
        assert req.specifier.contains(pins[0].version, prereleases=True), (
            f"the lock pins {req.name}=={pins[0].version}, pyproject.toml asks {req}"
            " (run scripts/lock)"
        )


def test_nothing_is_locked_for_a_requirement_pyproject_dropped() -> None:
    wanted = {canonicalize_name(r.name) for r in project_requirements()}
    stale = [n for n, pins in LOCK.items() if any(p.via_project for p in pins) and n not in wanted]
    assert not stale, f"locked for pyproject.toml but no longer asked: {stale} (run scripts/lock)"


def test_this_environment_holds_exactly_the_locked_versions() -> None:
    here = {k: str(v) for k, v in default_environment().items()}
    for name, pins in LOCK.items():
        pin = next((p for p in pins if p.applies(here)), None)
        if pin is None:
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name}=={pin.version} is locked but not installed")
        assert installed == pin.version, f"{name} {installed} is here, the lock has {pin.version}"
