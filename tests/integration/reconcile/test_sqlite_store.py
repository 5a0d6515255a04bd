"""The SQLite status store's own ways: a file it cannot use is refused with its path, a new
file is migrated and in WAL mode."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fasit.reconcile import SqliteStatusStore, StoreError


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
    assert (version, mode) == (1, "wal")
