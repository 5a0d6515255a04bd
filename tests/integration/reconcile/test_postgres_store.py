"""The PostgreSQL status store's own ways: replicas starting at once migrate one database
once, a database from a newer fasit is refused, an unreachable one is named with its password
masked, and one that goes down and comes back is read again."""

from __future__ import annotations

import asyncio
import logging

import psycopg
import pytest

from fasit.errors import StatusUnavailable
from fasit.reconcile import PostgresStatusStore, StoreError
from fasit.reconcile.postgres_store import shown_postgres_url
from tests.integration.postgres_server import PostgresServer
from tests.integration.processes import LOOPBACK, free_port
from tests.integration.reconcile.test_status_store import decision
from tests.integration.waiting import eventually


async def test_replicas_opening_a_new_database_at_once_migrate_it_once(postgres_url: str) -> None:
    stores = [PostgresStatusStore(postgres_url) for _ in range(3)]

    await asyncio.gather(*(store.open() for store in stores))
    for store in stores:
        await store.close()

    with psycopg.connect(postgres_url) as connection:
        versions = connection.execute("SELECT version FROM fasit_schema").fetchall()
    assert versions == [(2,)]


async def test_a_database_from_a_newer_fasit_is_refused(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as connection:
        connection.execute("CREATE TABLE fasit_schema (version INTEGER NOT NULL)")
        connection.execute("INSERT INTO fasit_schema (version) VALUES (99)")

    store = PostgresStatusStore(postgres_url)
    with pytest.raises(StoreError, match=r"has status schema version 99, newer than this fasit"):
        await store.open()


async def test_an_unreachable_database_is_named_with_its_password_masked() -> None:
    url = f"postgresql://fasit:s3cret@{LOOPBACK}:{free_port()}/status"

    store = PostgresStatusStore(url)
    with pytest.raises(StoreError) as refused:
        await store.open()

    message = str(refused.value)
    assert f"cannot use the status store postgresql://fasit:***@{LOOPBACK}:" in message
    assert "s3cret" not in message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://fasit:pw@db:5432/status", "postgresql://fasit:***@db:5432/status"),
        (
            "postgresql://db/status?password=pw&sslmode=require",
            "postgresql://db/status?password=***&sslmode=require",
        ),
        ("postgres://fasit@db/status", "postgres://fasit@db/status"),
    ],
)
def test_a_database_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert shown_postgres_url(url) == shown


async def test_reads_fail_while_the_database_is_down_and_work_once_it_is_back() -> None:
    with PostgresServer() as server:
        store = PostgresStatusStore(server.database())
        await store.open()
        try:
            store.record_decision(decision("install 1.0.0"))
            await store.flush()

            server.stop()
            with pytest.raises(StatusUnavailable, match="cannot read the status store"):
                await store.decisions("nav/dev", "web")
            server.start()
            back = await store.decisions("nav/dev", "web")
        finally:
            await store.close()

    assert [record.message for record in back] == ["install 1.0.0"]


async def test_a_write_made_while_the_database_is_down_is_kept_once_it_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with PostgresServer() as server:
        store = PostgresStatusStore(server.database())
        await store.open()
        try:
            server.stop()
            with caplog.at_level(logging.WARNING, logger="fasit.reconcile"):
                store.record_decision(decision("install 1.0.0"))
                await eventually(
                    lambda: any("trying again" in r.getMessage() for r in caplog.records),
                    "the writer to meet the database down",
                )
            server.start()
            await store.flush()
            kept = await store.decisions("nav/dev", "web")
        finally:
            await store.close()

    assert [record.message for record in kept] == ["install 1.0.0"]
