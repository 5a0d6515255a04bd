"""What both status stores share: `record_*` into the write queue, batches written in one
transaction on a writer thread, reads on reader threads, retention, recovery at open.

A store over a particular database says how to migrate, how to open a transaction for the
writer and how to run a read (`SqliteStatusStore`, `PostgresStatusStore`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TypeVar

from fasit.errors import StatusUnavailable
from fasit.reconcile._rows import Row, decision_of, deploy_of_row, inventory_of, log_of
from fasit.reconcile._store_sql import (
    DECISIONS_OF_PAIR,
    DEPLOYS_OF_PAIR,
    FINISHED_DEPLOYS_MAX_ENVIRONMENTS,
    INVENTORIES,
    LOGS_OF_INSTRUCTION,
    Transaction,
    apply_retention,
    decision_write,
    deploy_write,
    finished_deploys_sql,
    inventory_write,
    log_writes,
    recover,
)
from fasit.reconcile._write_queue import Write, WriteQueue
from fasit.reconcile.deploys import Deploy
from fasit.reconcile.store import (
    DecisionRecord,
    InventoryRecord,
    LogRecord,
    Recovered,
    Retention,
)

__all__ = ["SqlStatusStore"]

T = TypeVar("T")

logger = logging.getLogger(__name__)


class SqlStatusStore(ABC):
    """`StatusStore` over a SQL database; subclasses connect, migrate and transact."""

    def __init__(
        self,
        retention: Retention | None,
        batch_size: int,
        retention_interval: float,
        max_queued: int,
        readers: int = 1,
    ) -> None:
        self._retention = retention or Retention()
        self._writes = WriteQueue(self._write_batch, batch_size, max_queued)
        self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="status-store-writer")
        self._reader_threads = ThreadPoolExecutor(readers, thread_name_prefix="status-store-reader")
        self._retention_interval = retention_interval
        self._touched: set[tuple[str, str]] = set()
        self._touched_instructions: set[str] = set()
        self._retained_at = time.monotonic()
        self._read_failing = False

    @property
    def dropped(self) -> Counter[str]:
        """Writes dropped because the queue was full, by table."""
        return self._writes.dropped

    # -- what a database says ------------------------------------------------------------------

    @abstractmethod
    def _migrate(self) -> None:
        """Bring the schema to the current version (on the writer thread); StoreError if the
        database is newer than this code or cannot be used."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Transaction]:
        """One transaction of the writer: committed on a clean exit, rolled back otherwise."""

    @abstractmethod
    def _read_rows(self, sql: str, parameters: tuple[object, ...]) -> list[Row]:
        """Run one read (on a reader thread); StatusUnavailable when the database cannot."""

    @abstractmethod
    def _release(self) -> None:
        """Close every connection (after the threads are done with them)."""

    # -- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> Recovered:
        if self._writes.running:
            raise RuntimeError(f"{type(self).__name__}.open: already open")
        try:
            recovered = await self._on_writer(self._open)
        except BaseException:
            self._shutdown()
            raise
        self._writes.start()
        return recovered

    async def flush(self) -> None:
        await self._writes.flush()

    async def close(self) -> None:
        if not self._writes.running:
            return
        await self._writes.stop()
        self._shutdown()

    def _open(self) -> Recovered:
        self._migrate()
        with self._transaction() as transaction:
            return recover(transaction.execute)

    def _shutdown(self) -> None:
        self._writer_thread.shutdown()
        self._reader_threads.shutdown()
        self._release()

    # -- writes --------------------------------------------------------------------------------

    def record_decision(self, record: DecisionRecord) -> None:
        self._writes.put(decision_write(record))

    def record_deploy(self, deploy: Deploy) -> None:
        self._writes.put(deploy_write(deploy))

    def record_logs(self, records: Sequence[LogRecord]) -> None:
        for write in log_writes(records):
            self._writes.put(write)

    def record_inventory(self, record: InventoryRecord) -> None:
        self._writes.put(inventory_write(record))

    async def _write_batch(self, batch: list[Write]) -> None:
        await self._on_writer(self._write_batch_now, batch)

    def _write_batch_now(self, batch: list[Write]) -> None:
        with self._transaction() as transaction:
            # One statement's rows together, in the order they were recorded (ids grow per
            # table, and only their order within a table means anything).
            by_statement = sorted(batch, key=lambda write: write.sql)
            for sql, run in itertools.groupby(by_statement, key=lambda write: write.sql):
                transaction.execute_many(sql, [write.parameters for write in run])
        for write in batch:
            if write.pair is not None:
                self._touched.add(write.pair)
            if write.instruction is not None:
                self._touched_instructions.add(write.instruction)
        if time.monotonic() - self._retained_at >= self._retention_interval:
            self._apply_retention()

    def _apply_retention(self) -> None:
        pairs, self._touched = self._touched, set()
        instructions, self._touched_instructions = self._touched_instructions, set()
        self._retained_at = time.monotonic()
        with self._transaction() as transaction:
            apply_retention(
                transaction.execute, self._retention, pairs, instructions, datetime.now(UTC)
            )

    # -- reads ---------------------------------------------------------------------------------

    async def decisions(
        self, environment: str, feature: str, limit: int = 100
    ) -> list[DecisionRecord]:
        rows = await self._read(DECISIONS_OF_PAIR, (environment, feature, limit))
        return [decision_of(row) for row in rows]

    async def deploys(self, environment: str, feature: str, limit: int = 100) -> list[Deploy]:
        rows = await self._read(DEPLOYS_OF_PAIR, (environment, feature, limit))
        return [deploy_of_row(row) for row in rows]

    async def finished_deploys(
        self, feature: str, environments: Sequence[str], limit: int = 100
    ) -> list[Deploy]:
        named = list(environments)[:FINISHED_DEPLOYS_MAX_ENVIRONMENTS]
        if not named:
            return []
        sql = finished_deploys_sql(len(named))
        rows = await self._read(sql, (feature, *named, limit))
        return [deploy_of_row(row) for row in rows]

    async def logs(self, instruction_id: str, limit: int = 5_000) -> list[LogRecord]:
        rows = await self._read(LOGS_OF_INSTRUCTION, (instruction_id, limit))
        return [log_of(row) for row in rows]

    async def inventories(self) -> dict[str, InventoryRecord]:
        rows = await self._read(INVENTORIES, ())
        return {row[0]: inventory_of(row) for row in rows}

    async def recovered(self, environments: Sequence[str]) -> Recovered:
        """What `open` takes back, of `environments` only: for a replica taking them over
        from another (leases.py); StatusUnavailable when the database cannot be read."""
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._reader_threads, recover, self._read_rows, list(environments)
            )
        except StatusUnavailable as exc:
            logger.error("status store: cannot take over environments: %s", exc)
            raise

    async def _read(self, sql: str, parameters: tuple[object, ...]) -> list[Row]:
        """The rows, or StatusUnavailable; the first failure (and the recovery) is logged once."""
        try:
            rows = await asyncio.get_running_loop().run_in_executor(
                self._reader_threads, self._read_rows, sql, parameters
            )
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
