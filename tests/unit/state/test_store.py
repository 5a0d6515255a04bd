"""The snapshot store: serve the last good revision, record the rest, say how stale it is."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fasit.state import (
    DirectoryTree,
    Outcome,
    Revision,
    Snapshot,
    SnapshotStore,
    build_snapshot,
)
from tests.helpers import ENVIRONMENT, write_tree

START = datetime(2026, 11, 21, 12, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def snapshot(tmp_path: Path, name: str, *, broken: bool = False) -> Snapshot:
    files = {"env.yaml": ENVIRONMENT}
    if broken:
        files["bad.yaml"] = "kind: [\n"
    tree = DirectoryTree(write_tree(tmp_path / name, files))
    return build_snapshot(tree, Revision(name, "test", START, "Ann <ann@example.net>", name))


def test_a_store_is_not_ready_until_a_good_revision_arrives(tmp_path: Path) -> None:
    store = SnapshotStore()
    store.offer(snapshot(tmp_path, "bad", broken=True))

    assert not store.ready
    assert store.current is None


def test_a_good_revision_is_served(tmp_path: Path) -> None:
    store = SnapshotStore()
    good = snapshot(tmp_path, "good")

    record = store.offer(good)

    assert store.current is good
    assert record.outcome is Outcome.SERVED
    assert not store.freshness.stale


def test_a_broken_revision_is_recorded_and_the_last_good_one_kept(tmp_path: Path) -> None:
    clock = Clock()
    store = SnapshotStore(clock=clock)
    good = snapshot(tmp_path, "good")
    store.offer(good)
    clock.advance(30)

    record = store.offer(snapshot(tmp_path, "bad", broken=True))

    assert store.current is good
    assert record.outcome is Outcome.FAILED
    assert store.failed is not None
    assert [p.code for p in store.failed.problems] == ["yaml-syntax"]
    freshness = store.freshness
    assert (freshness.served, freshness.newest) == (good.revision, record.revision)
    assert freshness.stale_since == START + timedelta(seconds=30)
    assert freshness.reason == (
        "revision bad has 1 blocking problem; serving the last good revision"
    )


def test_the_next_good_revision_ends_the_staleness(tmp_path: Path) -> None:
    store = SnapshotStore()
    store.offer(snapshot(tmp_path, "good"))
    store.offer(snapshot(tmp_path, "bad", broken=True))

    fixed = snapshot(tmp_path, "fixed")
    store.offer(fixed)

    assert store.current is fixed
    assert not store.freshness.stale


def test_staleness_keeps_the_time_it_began(tmp_path: Path) -> None:
    clock = Clock()
    store = SnapshotStore(clock=clock)
    store.offer(snapshot(tmp_path, "good"))
    store.source_error("git://example: connection refused (refused)")
    clock.advance(60)
    store.offer(snapshot(tmp_path, "bad", broken=True))

    assert store.freshness.stale_since == START
    assert store.freshness.reason == (
        "revision bad has 1 blocking problem; serving the last good revision"
    )


def test_a_recovered_source_is_no_longer_stale(tmp_path: Path) -> None:
    store = SnapshotStore()
    store.offer(snapshot(tmp_path, "good"))
    store.source_error("down")

    store.source_recovered()

    assert not store.freshness.stale


def test_a_revision_offered_after_a_source_error_clears_it_in_the_same_step(
    tmp_path: Path,
) -> None:
    store = SnapshotStore()
    store.offer(snapshot(tmp_path, "good"))
    store.source_error("git://example: connection refused (refused)")

    store.offer(snapshot(tmp_path, "pushed"))

    assert store.freshness.served is not None
    assert store.freshness.served.id == "pushed"
    assert not store.freshness.stale
    assert store.freshness.reason == ""


def test_a_cached_revision_offered_while_the_source_is_down_stays_stale(tmp_path: Path) -> None:
    store = SnapshotStore()
    store.source_error("git://example: connection refused (refused)")

    store.offer(snapshot(tmp_path, "cached"), cached=True)

    assert store.ready
    assert store.freshness.reason == "git://example: connection refused (refused)"


def test_history_lists_the_latest_revisions_newest_first(tmp_path: Path) -> None:
    store = SnapshotStore(history_size=3)
    for name in ["r1", "r2", "r3", "r4"]:
        store.offer(snapshot(tmp_path, name, broken=name == "r3"))

    history = store.history
    assert [(r.revision.id, r.outcome, r.errors) for r in history] == [
        ("r4", Outcome.SERVED, 0),
        ("r3", Outcome.FAILED, 1),
        ("r2", Outcome.SERVED, 0),
    ]
    assert history[0].revision.author == "Ann <ann@example.net>"


def test_offering_the_current_revision_again_records_nothing(tmp_path: Path) -> None:
    store = SnapshotStore()
    good = snapshot(tmp_path, "good")
    store.offer(good)

    store.offer(good)

    assert len(store.history) == 1


async def test_a_subscriber_gets_the_current_snapshot_then_each_new_one(tmp_path: Path) -> None:
    store = SnapshotStore()
    first, second = snapshot(tmp_path, "first"), snapshot(tmp_path, "second")
    store.offer(first)
    updates = store.updates()

    assert await anext(updates) is first
    waiting = asyncio.ensure_future(anext(updates))
    await asyncio.sleep(0)
    store.offer(snapshot(tmp_path, "bad", broken=True))
    await asyncio.sleep(0)
    assert not waiting.done()  # a failed revision is not a new snapshot
    store.offer(second)
    assert await waiting is second
    await updates.aclose()


async def test_a_slow_subscriber_gets_the_newest_snapshot_only(tmp_path: Path) -> None:
    store = SnapshotStore()
    updates = store.updates()
    waiting = asyncio.ensure_future(anext(updates))
    await asyncio.sleep(0)

    store.offer(snapshot(tmp_path, "one"))
    newest = snapshot(tmp_path, "two")
    store.offer(newest)

    assert await waiting is newest
    await updates.aclose()


def test_a_served_revision_takes_the_problems_its_plan_found_per_release(
    tmp_path: Path,
) -> None:
    store = SnapshotStore()
    good = snapshot(tmp_path, "good")
    store.offer(good)

    record = store.planned(good.revision, {"render-error": 1, "chart-unavailable": 2})

    assert record is not None
    assert (record.errors, record.release_problems) == (
        0,
        {"chart-unavailable": 2, "render-error": 1},
    )
    assert store.history[0] == record


def test_a_revision_served_again_takes_its_plan_problems_on_its_newest_entry(
    tmp_path: Path,
) -> None:
    store = SnapshotStore()
    first, second = snapshot(tmp_path, "one"), snapshot(tmp_path, "two")
    for offered in (first, second, first):
        store.offer(offered)

    store.planned(first.revision, {"missing-config": 3})

    assert [dict(r.release_problems) for r in store.history] == [{"missing-config": 3}, {}, {}]
