"""The status store in one SQLite file: WAL, one writer, batched writes, migrations, retention.

Writes are queued by `record_*` and written by one task, in one transaction per batch, on a
thread that owns the writing connection. The queue is bounded: a write beyond `max_queued`
(agent log lines already beyond half of it, so the rows recovery needs go first) is dropped
and counted in `dropped`; reads use their own connections (WAL lets them run
beside the writer). The schema version lives in `PRAGMA user_version`; `_MIGRATIONS` take
any older file forward, and a newer file than this code knows is refused.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from fasit.errors import CouldNotRun, StatusUnavailable
from fasit.reconcile._sqlite_retention import apply_retention
from fasit.reconcile._sqlite_rows import (
    DECISION_COLUMNS,
    DEPLOY_COLUMNS,
    Row,
    decision_of,
    deploy_of_row,
    deploy_row,
    inventory_of,
    log_of,
    releases_json,
)
from fasit.reconcile.deploys import Deploy
from fasit.reconcile.store import (
    DecisionRecord,
    InventoryRecord,
    LogRecord,
    Recovered,
    Retention,
)

__all__ = ["SqliteStatusStore", "StoreError"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_MIGRATIONS: tuple[str, ...] = (
    """
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
    """,
)


@dataclass(frozen=True, slots=True)
class _Write:
    table: str
    sql: str
    parameters: tuple[object, ...]
    pair: tuple[str, str] | None = None
    """The (environment, feature) whose history grew: retention looks at it next time."""
    instruction: str | None = None
    """The instruction whose log lines grew: retention trims them next time."""


class StoreError(CouldNotRun):
    """The status file cannot be used: unreadable, or written by a newer fasit."""


class SqliteStatusStore:
    """`StatusStore` over one SQLite file (":memory:" is not supported: readers need a file)."""

    def __init__(
        self,
        path: Path,
        retention: Retention | None = None,
        batch_size: int = 2_000,
        retention_interval: float = 60.0,
        max_queued: int = 100_000,
    ) -> None:
        self.path = path
        self._retention = retention or Retention()
        self._batch_size = batch_size
        self._queue: asyncio.Queue[_Write | asyncio.Future[None] | None] = asyncio.Queue()
        self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="status-store-writer")
        self._reader_thread = ThreadPoolExecutor(1, thread_name_prefix="status-store-reader")
        self._write_connection: sqlite3.Connection | None = None
        self._read_connection: sqlite3.Connection | None = None
        self._writer: asyncio.Task[None] | None = None
        self._retention_interval = retention_interval
        self._touched: set[tuple[str, str]] = set()
        self._touched_instructions: set[str] = set()
        self._retained_at = time.monotonic()
        self._max_queued = max_queued
        self._queued = 0
        self.dropped: Counter[str] = Counter()
        """Writes dropped because the queue was full, by table."""
        self._read_failing = False

    # -- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> Recovered:
        if self._writer is not None:
            raise RuntimeError("SqliteStatusStore.open: already open")
        try:
            recovered = await self._on_writer(self._open)
        except BaseException:
            await self._on_writer(self._close_writer)
            self._writer_thread.shutdown()
            self._reader_thread.shutdown()
            raise
        self._writer = asyncio.create_task(self._write_loop(), name="status-store-writer")
        return recovered

    async def flush(self) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(done)
        await done

    async def close(self) -> None:
        if self._writer is None:
            return
        self._queue.put_nowait(None)
        await self._writer
        self._writer = None
        await self._on_writer(self._close_writer)
        await self._on_reader(self._close_reader)
        self._writer_thread.shutdown()
        self._reader_thread.shutdown()

    # -- writes --------------------------------------------------------------------------------

    def record_decision(self, record: DecisionRecord) -> None:
        self._enqueue(
            _Write(
                "decisions",
                f"INSERT INTO decisions ({DECISION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.environment,
                    record.feature,
                    record.reason.value,
                    record.message,
                    record.version,
                    record.release_hash,
                    record.revision,
                    record.at.isoformat(),
                ),
                (record.environment, record.feature),
            )
        )

    def record_deploy(self, deploy: Deploy) -> None:
        self._enqueue(
            _Write(
                "deploys",
                f"INSERT INTO deploys ({DEPLOY_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                deploy_row(deploy),
                (deploy.environment, deploy.feature),
            )
        )

    def record_logs(self, records: Sequence[LogRecord]) -> None:
        for record in records:
            line = record.line
            self._enqueue(
                _Write(
                    "logs",
                    "INSERT INTO logs (instruction_id, environment, at, kind, text) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        record.instruction_id,
                        record.environment,
                        line.at.isoformat(),
                        line.kind.value,
                        line.text,
                    ),
                    instruction=record.instruction_id,
                )
            )

    def record_inventory(self, record: InventoryRecord) -> None:
        releases = releases_json(record.releases)
        self._enqueue(
            _Write(
                "inventories",
                "INSERT OR REPLACE INTO inventories (environment, at, releases, error) "
                "VALUES (?, ?, ?, ?)",
                (record.environment, record.at.isoformat(), releases, record.error),
            )
        )

    def _enqueue(self, write: _Write) -> None:
        # Log lines give way first: decisions and deploys are what a restart recovers from.
        limit = self._max_queued // 2 if write.table == "logs" else self._max_queued
        if self._queued >= limit:
            if not self.dropped:
                logger.warning("status store: writes queue faster than they are written; dropping")
            self.dropped[write.table] += 1
            return
        self._queued += 1
        self._queue.put_nowait(write)

    # -- reads ---------------------------------------------------------------------------------

    async def decisions(
        self, environment: str, feature: str, limit: int = 100
    ) -> list[DecisionRecord]:
        rows = await self._read(
            f"SELECT {DECISION_COLUMNS} FROM decisions WHERE environment = ? AND feature = ? "
            "ORDER BY id DESC LIMIT ?",
            (environment, feature, limit),
        )
        return [decision_of(row) for row in rows]

    async def deploys(self, environment: str, feature: str, limit: int = 100) -> list[Deploy]:
        rows = await self._read(
            f"SELECT {DEPLOY_COLUMNS} FROM deploys WHERE environment = ? AND feature = ? "
            "ORDER BY id DESC LIMIT ?",
            (environment, feature, limit),
        )
        return [deploy_of_row(row) for row in rows]

    async def logs(self, instruction_id: str, limit: int = 5_000) -> list[LogRecord]:
        rows = await self._read(
            "SELECT instruction_id, environment, at, kind, text FROM logs "
            "WHERE instruction_id = ? ORDER BY id LIMIT ?",
            (instruction_id, limit),
        )
        return [log_of(row) for row in rows]

    async def inventories(self) -> dict[str, InventoryRecord]:
        rows = await self._read("SELECT environment, at, releases, error FROM inventories", ())
        return {row[0]: inventory_of(row) for row in rows}

    # -- the writer ----------------------------------------------------------------------------

    async def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            batch: list[_Write] = []
            waiters: list[asyncio.Future[None]] = []
            item = await self._queue.get()
            while True:
                if item is None:
                    stopping = True
                elif isinstance(item, asyncio.Future):
                    waiters.append(item)
                else:
                    batch.append(item)
                    self._queued -= 1
                if stopping or len(batch) >= self._batch_size or self._queue.empty():
                    break
                item = self._queue.get_nowait()
            try:
                if batch:
                    await self._on_writer(self._write_batch, batch)
            except Exception as exc:
                # The store is history, not desired state: losing a batch must not stop the
                # reconciler. Say so loudly; the waiters learn it too.
                logger.exception("status store: a batch of %d writes was lost", len(batch))
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(StoreError(f"status store write failed: {exc}"))
                continue
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def _write_batch(self, batch: list[_Write]) -> None:
        connection = self._writer_connection()
        with connection:
            for write in batch:
                connection.execute(write.sql, write.parameters)
                if write.pair is not None:
                    self._touched.add(write.pair)
                if write.instruction is not None:
                    self._touched_instructions.add(write.instruction)
        if time.monotonic() - self._retained_at >= self._retention_interval:
            self._apply_retention(connection)

    def _apply_retention(self, connection: sqlite3.Connection) -> None:
        pairs, self._touched = self._touched, set()
        instructions, self._touched_instructions = self._touched_instructions, set()
        self._retained_at = time.monotonic()
        apply_retention(connection, self._retention, pairs, instructions, datetime.now(UTC))

    # -- connections and threads ---------------------------------------------------------------

    def _open(self) -> Recovered:
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
        return _recover(connection)

    def _writer_connection(self) -> sqlite3.Connection:
        if self._write_connection is None:
            self._write_connection = _connect(self.path)
        return self._write_connection

    def _close_writer(self) -> None:
        if self._write_connection is not None:
            self._write_connection.close()
            self._write_connection = None

    def _close_reader(self) -> None:
        if self._read_connection is not None:
            self._read_connection.close()
            self._read_connection = None

    async def _read(self, sql: str, parameters: tuple[object, ...]) -> list[Row]:
        """The rows, or StatusUnavailable; the first failure (and the recovery) is logged once."""

        def query() -> list[Row]:
            try:
                if self._read_connection is None:
                    self._read_connection = _connect(self.path)
                return self._read_connection.execute(sql, parameters).fetchall()
            except StoreError as exc:
                raise StatusUnavailable(str(exc)) from exc
            except sqlite3.Error as exc:
                # Locked, corrupt or gone: the next read opens the file afresh.
                self._close_reader()
                raise StatusUnavailable(f"cannot read the status store {self.path}: {exc}") from exc

        try:
            rows = await self._on_reader(query)
        except StatusUnavailable as exc:
            if not self._read_failing:
                logger.error("status store: reads fail until it can be read again: %s", exc)
            self._read_failing = True
            raise
        if self._read_failing:
            logger.info("status store: reads work again")
            self._read_failing = False
        return rows

    async def _on_writer(self, call: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer_thread, call, *args)

    async def _on_reader(self, call: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._reader_thread, call, *args)


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


def _recover(connection: sqlite3.Connection) -> Recovered:
    decisions = {
        (str(row[0]), str(row[1])): decision_of(row)
        for row in connection.execute(
            f"SELECT {DECISION_COLUMNS} FROM decisions WHERE id IN "
            "(SELECT MAX(id) FROM decisions GROUP BY environment, feature)"
        )
    }
    deploys = [
        deploy_of_row(row)
        for row in connection.execute(
            f"SELECT {DEPLOY_COLUMNS} FROM deploys WHERE id IN "
            "(SELECT MAX(id) FROM deploys GROUP BY instruction_id) ORDER BY id"
        )
    ]
    inventories = {
        str(row[0]): inventory_of(row)
        for row in connection.execute("SELECT environment, at, releases, error FROM inventories")
    }
    return Recovered(decisions, deploys, inventories)
