"""The status store in one SQLite file: WAL, one writer, batched writes, migrations, retention.

The queue, batches, reads and retention are shared with PostgreSQL (`_sql_store.py`); here is
what SQLite adds: a file, WAL (reads run beside the writer on their own connection), and the
schema version in `PRAGMA user_version`. `_MIGRATIONS` take any older file forward, and a newer
file than this code knows is refused.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fasit.errors import StatusUnavailable
from fasit.reconcile._rows import Row
from fasit.reconcile._sql_store import SqlStatusStore
from fasit.reconcile._store_sql import Transaction, schema_steps
from fasit.reconcile._write_queue import StoreError
from fasit.reconcile.store import Retention

__all__ = ["SqliteStatusStore", "StoreError"]

logger = logging.getLogger(__name__)

# SQLite numbers an INTEGER PRIMARY KEY by itself.
_MIGRATIONS = schema_steps("INTEGER PRIMARY KEY")


class SqliteStatusStore(SqlStatusStore):
    """`StatusStore` over one SQLite file (":memory:" is not supported: readers need a file)."""

    def __init__(
        self,
        path: Path,
        retention: Retention | None = None,
        batch_size: int = 2_000,
        retention_interval: float = 60.0,
        max_queued: int = 100_000,
    ) -> None:
        super().__init__(retention, batch_size, retention_interval, max_queued)
        self.path = path
        self._write_connection: sqlite3.Connection | None = None
        self._read_connection: sqlite3.Connection | None = None

    def _migrate(self) -> None:
        connection = self._writer_connection()
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > len(_MIGRATIONS):
            raise StoreError(
                f"{self.path} has status schema version {version}, newer than this fasit "
                f"knows ({len(_MIGRATIONS)}): upgrade fasit or point --status-db elsewhere"
            )
        for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            connection.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
            logger.info("status store migrated", extra={"path": str(self.path), "version": number})

    @contextmanager
    def _transaction(self) -> Iterator[Transaction]:
        connection = self._writer_connection()
        connection.execute("BEGIN")
        try:
            yield _SqliteTransaction(connection)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _read_rows(self, sql: str, parameters: tuple[object, ...]) -> list[Row]:
        try:
            if self._read_connection is None:
                self._read_connection = _connect(self.path)
            return self._read_connection.execute(sql, parameters).fetchall()
        except StoreError as exc:
            raise StatusUnavailable(str(exc)) from exc
        except sqlite3.Error as exc:
            # Locked, corrupt or gone: the next read opens the file afresh.
            if self._read_connection is not None:
                self._read_connection.close()
                self._read_connection = None
            raise StatusUnavailable(f"cannot read the status store {self.path}: {exc}") from exc

    def _release(self) -> None:
        for connection in (self._write_connection, self._read_connection):
            if connection is not None:
                connection.close()
        self._write_connection = self._read_connection = None

    def _writer_connection(self) -> sqlite3.Connection:
        if self._write_connection is None:
            self._write_connection = _connect(self.path)
        return self._write_connection


class _SqliteTransaction:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters: tuple[object, ...]) -> list[Row]:
        return self._connection.execute(sql, parameters).fetchall()

    def execute_many(self, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
        self._connection.executemany(sql, rows)


def _connect(path: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the status store {path}: {exc}") from exc
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA busy_timeout = 5000")
    except sqlite3.Error as exc:
        connection.close()  # a read retried per request must not leave a file handle each time
        raise StoreError(f"cannot open the status store {path}: {exc}") from exc
    return connection
