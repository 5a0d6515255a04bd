"""Desired state: each served snapshot planned, and what its plan found recorded and logged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fasit.plan import Plan, Planner
from fasit.serve.desired import DesiredState
from fasit.state import DirectoryTree, Revision, SnapshotStore, build_snapshot
from tests.helpers import write_tree
from tests.states import assignment, chart, environment, feature, state

AT = datetime(2026, 12, 5, 12, tzinfo=UTC)


async def test_a_served_revision_that_makes_a_chart_unavailable_says_so_in_record_and_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = state(
        chart("aivenator", "1.0.0"),
        feature("aivenator"),
        feature("naisd"),
        environment("nav", "dev"),
        environment("nav", "prod"),
        assignment("aivenator", "1.0.0", {}),
        assignment("naisd", "9.9.9", {}),
    )
    tree = DirectoryTree(write_tree(tmp_path, files))
    snapshot = build_snapshot(tree, Revision("c0ffee1234567", "test", AT))
    store = SnapshotStore()
    store.offer(snapshot)
    plans: list[Plan] = []
    caplog.set_level(logging.INFO, logger="fasit.serve.desired")

    await DesiredState(store, Planner(), plans.append).replan(snapshot)

    assert dict(store.history[0].release_problems) == {"chart-unavailable": 2}
    assert [r.getMessage() for r in caplog.records] == [
        "planned revision c0ffee123456: 4 releases (4 rendered);"
        " 2 releases with problems: chart-unavailable 2"
    ]
