"""The package surface and the layering of DESIGN.md §7, checked rather than hoped for."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGES = [
    "fasit.model",
    "fasit.state",
    "fasit.sources",
    "fasit.charts",
    "fasit.plan",
    "fasit.agents",
    "fasit.reconcile",
    "fasit.web",
    "naisd",
]
# What each stage may import of fasit: only stages before it in the flow of data.
ALLOWED = {
    "fasit.model": set(),
    "fasit.state": {"fasit.model", "fasit.errors"},
    "fasit.sources": {"fasit.model", "fasit.errors", "fasit.state"},
    "fasit.charts": {"fasit.model", "fasit.errors", "fasit.state", "fasit.sources"},
    "fasit.plan": {"fasit.model", "fasit.errors", "fasit.state", "fasit.sources", "fasit.charts"},
    # The wire carries plain data: the hub knows environments and releases, never plans.
    "fasit.agents": {"fasit.model", "fasit.errors"},
    # Decides over plans and drives agents; the read side (later) reads it, never the reverse.
    "fasit.reconcile": {
        "fasit.model",
        "fasit.errors",
        "fasit.state",
        "fasit.charts",
        "fasit.plan",
        "fasit.agents",
    },
    # The HTTP side comes last: it reads every stage before it.
    "fasit.web": {
        "fasit.model",
        "fasit.errors",
        "fasit.state",
        "fasit.sources",
        "fasit.charts",
        "fasit.plan",
        "fasit.agents",
        "fasit.reconcile",
    },
    # The agent ships alone into each environment: nothing of the controller.
    "naisd": set(),
}
# Who may import the generated protocol package: the two ends of the wire, nothing else.
PROTO_PACKAGE = "fasit_proto"
PROTO_USERS = ("fasit/agents", "naisd", "fasit_proto")


@pytest.mark.parametrize("package", PACKAGES)
def test_package_all_is_sorted_and_complete(package: str) -> None:
    module = importlib.import_module(package)
    exported = list(module.__all__)

    # Ruff's isort-style order (RUF022): CONSTANTS, then Classes, then functions.
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), not n[:1].isupper(), n))
    assert all(hasattr(module, name) for name in exported)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _fasit_imports(path: Path) -> set[str]:
    return {name for name in _imports(path) if name == "fasit" or name.startswith("fasit.")}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_stage_imports_only_earlier_stages(package: str) -> None:
    directory = ROOT / package.replace(".", "/")
    for path in directory.rglob("*.py"):
        for imported in _fasit_imports(path):
            if imported.startswith(package) or imported == "fasit":  # the root: __version__ only
                continue
            assert any(imported.startswith(allowed) for allowed in ALLOWED[package]), (
                f"{path.relative_to(ROOT)} imports {imported}"
            )


def test_only_the_two_ends_of_the_wire_import_the_protocol() -> None:
    for path in [*ROOT.joinpath("fasit").rglob("*.py"), *ROOT.joinpath("naisd").rglob("*.py")]:
        relative = path.relative_to(ROOT).as_posix()
        uses_proto = any(name.split(".")[0] == PROTO_PACKAGE for name in _imports(path))
        assert not uses_proto or relative.startswith(PROTO_USERS), f"{relative} imports fasit_proto"


def test_protocol_package_imports_neither_end() -> None:
    for path in ROOT.joinpath(PROTO_PACKAGE).rglob("*.py"):
        roots = {name.split(".")[0] for name in _imports(path)}
        assert not roots & {"fasit", "naisd"}, f"{path.relative_to(ROOT)} imports {roots}"
