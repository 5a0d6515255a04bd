"""The committed locks: every dependency pinned with hashes, satisfying pyproject.toml's ranges,
and installed exactly (the Makefile installs with --require-hashes from requirements.lock)."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).parents[2]
_ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>\S+)(?: ; (?P<marker>[^\\]+?))? \\$")


def _locked(name: str) -> dict[str, tuple[Version, Marker | None, int]]:
    """Each pinned package of a lock file: its version, marker and number of hashes."""
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    pins: dict[str, tuple[Version, Marker | None, int]] = {}
    for index, line in enumerate(lines):
        match = _ENTRY.match(line)
        if match is None:
            continue
        hashes = 0
        for following in lines[index + 1 :]:
            if not following.startswith("    --hash=sha256:"):
                break
            hashes += 1
        marker = Marker(match["marker"]) if match["marker"] else None
        pins[canonicalize_name(match["name"])] = (Version(match["version"]), marker, hashes)
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(text) for text in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        requirements += [Requirement(text) for text in extra]
    return [r for r in requirements if canonicalize_name(r.name) != "fasit"]


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-runtime.lock"])
def test_every_locked_package_is_pinned_with_hashes(lock: str) -> None:
    pins = _locked(lock)
    assert pins, f"{lock} pins nothing"
    assert [name for name, (_, _, hashes) in pins.items() if hashes == 0] == []


def test_the_lock_satisfies_every_range_of_pyproject() -> None:
    pins = _locked("requirements.lock")
    stale = [
        f"{requirement} (locked: {pins[canonicalize_name(requirement.name)][0]})"
        if canonicalize_name(requirement.name) in pins
        else f"{requirement} (not locked)"
        for requirement in _declared()
        if canonicalize_name(requirement.name) not in pins
        or not requirement.specifier.contains(
            pins[canonicalize_name(requirement.name)][0], prereleases=True
        )
    ]
    assert stale == [], "requirements.lock is stale, run `make lock`: " + ", ".join(stale)


def test_the_runtime_lock_pins_the_same_versions_as_the_full_lock() -> None:
    full = _locked("requirements.lock")
    runtime = _locked("requirements-runtime.lock")
    assert {n: v for n, (v, _, _) in runtime.items()} == {
        n: full[n][0] for n in runtime if n in full
    }
    assert set(runtime) <= set(full)


def test_the_environment_holds_exactly_the_locked_versions() -> None:
    wrong = [
        f"{name} {metadata.version(name)} (locked {version})"
        for name, (version, marker, _) in _locked("requirements.lock").items()
        if marker is None or marker.evaluate()
        if Version(metadata.version(name)) != version
    ]
    assert wrong == []
