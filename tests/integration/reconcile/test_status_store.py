"""The status store's contract, on SQLite and on PostgreSQL alike (and on the in-memory fake the
fake-time specs use): what is written comes back after a restart, reads see what was flushed,
the queue is bounded, history is trimmed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fasit.agents import Action, LogKind, LogLine, ReleaseState
from fasit.reconcile import (
    DecisionRecord,
    Deploy,
    DeployState,
    InventoryRecord,
    LogRecord,
    PostgresStatusStore,
    Reason,
    Retention,
    SqliteStatusStore,
)
from fasit.reconcile._sql_store import SqlStatusStore
from tests.memory_store import MemoryDatabase, MemoryStatusStore

NewStore = Callable[..., SqlStatusStore | MemoryStatusStore]


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> NewStore:
    """A new store over one database per test (the same each call: a restart reopens it)."""
    if request.param == "memory":
        database = MemoryDatabase()
        return lambda **options: MemoryStatusStore(database, **options)
    if request.param == "sqlite":
        path = tmp_path / "status.db"
        return lambda **options: SqliteStatusStore(path, **options)
    url: str = request.getfixturevalue("postgres_url")
    return lambda **options: PostgresStatusStore(url, **options)


AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def decision(message: str, feature: str = "web", reason: Reason = Reason.DEPLOY) -> DecisionRecord:
    return DecisionRecord("nav/dev", feature, reason, message, "1.0.0", "sha256:h", "rev-1", AT)


def deploy(instruction_id: str, state: DeployState, feature: str = "web") -> Deploy:
    return Deploy(
        instruction_id,
        "nav/dev",
        feature,
        Action.INSTALL,
        "1.0.0",
        "sha256:h",
        "rev-1",
        1,
        state,
        AT,
        AT + timedelta(seconds=1),
        AT + timedelta(seconds=360),
        "web",
        "session-1",
    )


# The status file's first schema, as fasit wrote it before deploys recorded from_version.


def line(text: str) -> LogLine:
    return LogLine(AT, LogKind.STDOUT, text)


async def test_decisions_deploys_and_inventories_come_back_after_a_restart(
    new_store: NewStore,
) -> None:
    store = new_store()
    await store.open()
    store.record_decision(decision("install 1.0.0"))
    store.record_decision(decision("deploy in flight", reason=Reason.IN_PROGRESS))
    store.record_deploy(deploy("a", DeployState.SENT))
    store.record_deploy(deploy("a", DeployState.INSTALLING))
    release = ReleaseState("web", "web", "web", "1.0.0", "sha256:h", "deployed", 2, AT)
    store.record_inventory(InventoryRecord("nav/dev", AT, (release,)))
    await store.close()

    again = new_store()
    recovered = await again.open()
    await again.close()

    assert recovered.decisions[("nav/dev", "web")].reason is Reason.IN_PROGRESS
    assert recovered.deploys == [deploy("a", DeployState.INSTALLING)]
    assert recovered.inventories["nav/dev"].releases == (release,)


async def test_recovery_gives_the_latest_row_of_each_instruction_oldest_first(
    new_store: NewStore,
) -> None:
    store = new_store()
    await store.open()
    for row in (
        deploy("first", DeployState.SENT),
        deploy("second", DeployState.SENT, feature="db"),
        deploy("first", DeployState.DEPLOYED),
    ):
        store.record_deploy(row)
    await store.close()

    again = new_store()
    recovered = await again.open()
    await again.close()

    assert [(d.instruction_id, d.state) for d in recovered.deploys] == [
        ("second", DeployState.SENT),
        ("first", DeployState.DEPLOYED),
    ]


async def test_reads_see_what_was_recorded_once_flushed(new_store: NewStore) -> None:
    store = new_store()
    await store.open()
    try:
        store.record_deploy(deploy("a", DeployState.SENT))
        store.record_deploy(deploy("a", DeployState.DEPLOYED))
        store.record_logs([LogRecord("a", "nav/dev", line(f"line {i}")) for i in range(3)])
        await store.flush()

        deploys = await store.deploys("nav/dev", "web")
        logs = await store.logs("a")
    finally:
        await store.close()

    assert [d.state for d in deploys] == [DeployState.DEPLOYED, DeployState.SENT]
    assert [record.line.text for record in logs] == ["line 0", "line 1", "line 2"]


async def test_retention_keeps_the_newest_decisions_and_instructions_of_each_pair(
    new_store: NewStore,
) -> None:
    retention = Retention(decisions=3, instructions=2)
    store = new_store(retention=retention, retention_interval=0.0)
    await store.open()
    try:
        for i in range(6):
            store.record_decision(decision(f"decision {i}"))
            store.record_deploy(deploy(f"id-{i}", DeployState.SENT))
            store.record_logs([LogRecord(f"id-{i}", "nav/dev", line(f"log of {i}"))])
            await store.flush()
        store.record_decision(decision("other feature", feature="db"))
        await store.flush()

        decisions = await store.decisions("nav/dev", "web")
        deploys = await store.deploys("nav/dev", "web")
        old_logs = await store.logs("id-0")
        kept_logs = await store.logs("id-5")
        other = await store.decisions("nav/dev", "db")
    finally:
        await store.close()

    assert [d.message for d in decisions] == ["decision 5", "decision 4", "decision 3"]
    assert [d.instruction_id for d in deploys] == ["id-5", "id-4"]
    assert old_logs == []
    assert [record.line.text for record in kept_logs] == ["log of 5"]
    assert [d.message for d in other] == ["other feature"]


async def test_a_deploy_keeps_the_version_it_replaces_across_a_restart(new_store: NewStore) -> None:
    store = new_store()
    await store.open()
    upgrade = replace(deploy("a", DeployState.INSTALLING), from_version="0.9.0")
    store.record_deploy(upgrade)
    await store.close()

    again = new_store()
    recovered = await again.open()
    rows = await again.deploys("nav/dev", "web")
    await again.close()

    assert recovered.deploys == [upgrade]
    assert [row.from_version for row in rows] == ["0.9.0"]


async def test_writes_beyond_the_queue_bound_are_dropped_and_counted(new_store: NewStore) -> None:
    store = new_store(max_queued=4)
    await store.open()
    try:
        for i in range(10):  # no await between: the writer cannot drain the queue meanwhile
            store.record_decision(decision(f"decision {i}"))
        await store.flush()
        decisions = await store.decisions("nav/dev", "web")
    finally:
        await store.close()

    assert [d.message for d in decisions] == [f"decision {i}" for i in (3, 2, 1, 0)]
    assert store.dropped == {"decisions": 6}


async def test_log_lines_give_way_first_when_the_queue_fills(new_store: NewStore) -> None:
    store = new_store(max_queued=4)
    await store.open()
    try:
        store.record_logs([LogRecord("a", "nav/dev", line(f"line {i}")) for i in range(3)])
        store.record_deploy(deploy("a", DeployState.SENT))
        store.record_deploy(deploy("a", DeployState.DEPLOYED))
        await store.flush()
        deploys = await store.deploys("nav/dev", "web")
    finally:
        await store.close()

    assert [d.state for d in deploys] == [DeployState.DEPLOYED, DeployState.SENT]
    assert store.dropped == {"logs": 1}


async def test_retention_keeps_the_newest_lines_of_each_instruction(new_store: NewStore) -> None:
    retention = Retention(lines_per_instruction=2)
    store = new_store(retention=retention, retention_interval=0.0)
    await store.open()
    try:
        store.record_deploy(deploy("a", DeployState.INSTALLING))
        store.record_logs([LogRecord("a", "nav/dev", line(f"line {i}")) for i in range(5)])
        await store.flush()
        store.record_decision(decision("a write after, so retention runs"))
        await store.flush()
        logs = await store.logs("a")
    finally:
        await store.close()

    assert [record.line.text for record in logs] == ["line 3", "line 4"]


async def test_lines_of_an_instruction_no_longer_kept_are_deleted(new_store: NewStore) -> None:
    store = new_store(retention_interval=0.0)
    await store.open()
    try:
        store.record_logs([LogRecord("gone", "nav/dev", line("late progress"))])
        await store.flush()
        store.record_decision(decision("a write after, so retention runs"))
        await store.flush()
        logs = await store.logs("gone")
    finally:
        await store.close()

    assert logs == []


async def test_an_inventory_not_reported_for_longer_than_retention_is_deleted(
    new_store: NewStore,
) -> None:
    now = datetime.now(UTC)
    store = new_store(retention=Retention(inventory_age=timedelta(days=30)), retention_interval=0.0)
    await store.open()
    try:
        store.record_inventory(InventoryRecord("nav/old", now - timedelta(days=31), ()))
        store.record_inventory(InventoryRecord("nav/dev", now - timedelta(days=1), ()))
        await store.flush()
        inventories = await store.inventories()
    finally:
        await store.close()

    assert list(inventories) == ["nav/dev"]
