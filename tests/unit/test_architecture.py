"""The package surface and the layering of DESIGN.md §7, checked rather than hoped for."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

from tests.layering import CHECKED, check_layering

ROOT = Path(__file__).parents[2]
PACKAGES = [
    "fasit.migrate",
    "fasit.model",
    "fasit.state",
    "fasit.sources",
    "fasit.charts",
    "fasit.plan",
    "fasit.report",
    "fasit.agents",
    "fasit.reconcile",
    "fasit.web",
    "fasit.github",
    "fasit.notify",
    "fasit.serve",
    "naisd",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_package_all_is_sorted_and_complete(package: str) -> None:
    module = importlib.import_module(package)
    exported = list(module.__all__)

    # Ruff's isort-style order (RUF022): CONSTANTS, then Classes, then functions.
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), not n[:1].isupper(), n))
    assert all(hasattr(module, name) for name in exported)


def _copy_tree(destination: Path) -> Path:
    for package in CHECKED:
        shutil.copytree(
            ROOT / package, destination / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return destination


def _append(path: Path, source: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + source, encoding="utf-8")


def test_every_module_imports_only_earlier_stages() -> None:
    layering = check_layering(ROOT)

    assert not layering.back_edges, "\n".join(map(str, layering.back_edges))


def test_every_module_is_placed_in_a_stage() -> None:
    assert check_layering(ROOT).unplaced == []


def test_planted_back_edges_are_reported_with_file_and_module(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    _append(
        root / "fasit/state/store.py",
        "def _planted() -> None:\n    from fasit import web, errors, __version__\n",
    )
    _append(
        root / "fasit/charts/archive.py",
        "from typing import TYPE_CHECKING\n\n"
        "if TYPE_CHECKING:\n    from ..plan.validation import FetchOci\n",
    )
    _append(
        root / "fasit/plan/keys.py",
        "try:\n    import fasit.reconcile.decisions\nexcept ImportError:\n    pass\n",
    )

    edges = {(edge.path, edge.module) for edge in check_layering(root).back_edges}

    assert edges == {
        ("fasit/state/store.py", "fasit.web"),
        ("fasit/charts/archive.py", "fasit.plan.validation"),
        ("fasit/plan/keys.py", "fasit.reconcile.decisions"),
    }


def test_a_package_is_not_the_namesake_of_its_prefix(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    (root / "fasit/planner").mkdir()
    (root / "fasit/planner/__init__.py").write_text('"""Planted."""\n', encoding="utf-8")
    _append(root / "fasit/reconcile/decisions.py", "import fasit.planner\n")

    layering = check_layering(root)

    assert layering.unplaced == ["fasit.planner"]
    assert [(edge.path, edge.module) for edge in layering.back_edges] == [
        ("fasit/reconcile/decisions.py", "fasit.planner")
    ]


def test_the_package_root_holds_only_leaves_that_import_nothing_of_fasit() -> None:
    """What every stage shares (errors, retries, the values the command line offers), and the
    wiring's memory policy (one-shot commands use it without importing `fasit.serve`)."""
    loose = sorted(path.name for path in (ROOT / "fasit").glob("*.py"))

    assert loose == [
        "__init__.py",
        "__main__.py",
        "backoff.py",
        "errors.py",
        "memory.py",
        "options.py",
    ]


def test_a_new_top_level_module_is_unplaced_until_given_a_stage(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    (root / "fasit/summary.py").write_text('"""Planted."""\n', encoding="utf-8")

    assert check_layering(root).unplaced == ["fasit.summary"]


def test_only_the_two_ends_of_the_wire_import_the_protocol(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    _append(root / "fasit/web/__init__.py", "from fasit_proto.agent.v1 import agent_pb2\n")
    _append(root / "fasit_proto/agent/v1/vocabulary.py", "import naisd\n")

    edges = {(edge.path, edge.module) for edge in check_layering(root).back_edges}

    assert edges == {
        ("fasit/web/__init__.py", "fasit_proto.agent.v1.agent_pb2"),
        ("fasit_proto/agent/v1/vocabulary.py", "naisd"),
    }
