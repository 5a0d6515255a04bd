"""The SQLite status store's own ways: a file it cannot use is refused with its path, a new
file is migrated and in WAL mode, and a file of an older schema opens with its rows kept."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from fasit.reconcile import DeployState, SqliteStatusStore, StoreError
from tests.integration.reconcile.test_status_store import AT, deploy

FIRST_SCHEMA = """
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, environment TEXT NOT NULL,
    feature TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL,
    version TEXT NOT NULL, release_hash TEXT NOT NULL, revision TEXT NOT NULL);
CREATE INDEX decisions_by_pair ON decisions (environment, feature, id);
CREATE TABLE deploys (
    id INTEGER PRIMARY KEY, instruction_id TEXT NOT NULL, environment TEXT NOT NULL,
    feature TEXT NOT NULL, action TEXT NOT NULL, state TEXT NOT NULL,
    version TEXT NOT NULL, release_hash TEXT NOT NULL, revision TEXT NOT NULL,
    attempt INTEGER NOT NULL, namespace TEXT NOT NULL, session_id TEXT NOT NULL,
    error TEXT NOT NULL, timed_out INTEGER NOT NULL, sent_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, deadline TEXT NOT NULL);
CREATE INDEX deploys_by_pair ON deploys (environment, feature, id);
CREATE INDEX deploys_by_instruction ON deploys (instruction_id, id);
CREATE TABLE logs (
    id INTEGER PRIMARY KEY, instruction_id TEXT NOT NULL, environment TEXT NOT NULL,
    at TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX logs_by_instruction ON logs (instruction_id, id);
CREATE TABLE inventories (
    environment TEXT PRIMARY KEY, at TEXT NOT NULL, releases TEXT NOT NULL,
    error TEXT NOT NULL);
"""


async def test_a_status_file_from_a_newer_fasit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "status.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version = 99")
    connection.close()

    store = SqliteStatusStore(path)
    with pytest.raises(StoreError, match=r"status.db has status schema version 99, newer than"):
        await store.open()


async def test_a_file_that_is_not_a_database_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "status.db"
    path.write_text("this is no SQLite file, it is long enough to have a header " * 10)

    store = SqliteStatusStore(path)
    with pytest.raises(StoreError, match=r"cannot open the status store .*status.db"):
        await store.open()


async def test_a_new_file_is_migrated_to_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "status.db"
    store = SqliteStatusStore(path)
    await store.open()
    await store.close()

    with sqlite3.connect(path) as connection:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    connection.close()
    assert (version, mode) == (2, "wal")


async def test_a_status_file_of_the_first_schema_opens_with_its_deploys_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "status.db"
    with sqlite3.connect(path) as connection:  # what fasit wrote before deploys had from_version
        connection.executescript(FIRST_SCHEMA)
        connection.execute(
            "INSERT INTO deploys (instruction_id, environment, feature, action, state, version, "
            "release_hash, revision, attempt, namespace, session_id, error, timed_out, sent_at, "
            "updated_at, deadline) VALUES ('a', 'nav/dev', 'web', 'install', 'installing', "
            "'1.0.0', 'sha256:h', 'rev-1', 1, 'web', 'session-1', '', 0, ?, ?, ?)",
            (
                AT.isoformat(),
                (AT + timedelta(seconds=1)).isoformat(),
                (AT + timedelta(seconds=360)).isoformat(),
            ),
        )
        connection.execute("PRAGMA user_version = 1")
    connection.close()

    store = SqliteStatusStore(path)
    recovered = await store.open()
    store.record_deploy(replace(deploy("b", DeployState.SENT), from_version="1.0.0"))
    await store.flush()
    rows = await store.deploys("nav/dev", "web")
    await store.close()

    assert recovered.deploys == [deploy("a", DeployState.INSTALLING)]
    assert [(row.instruction_id, row.from_version) for row in rows] == [("b", "1.0.0"), ("a", "")]
