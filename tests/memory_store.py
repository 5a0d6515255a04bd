"""A fake `StatusStore` in memory, for specs that drive the reconciler in fake time.

It is a fake: nothing is ever on disk, and a "restart" is a new `MemoryStatusStore` over the
same `MemoryDatabase`. It keeps the contract the SQL stores keep (the contract suite in
tests/integration/reconcile/test_status_store.py runs against it too): writes go through the
same bounded `WriteQueue` (so dropping, batching and `flush` behave alike), reads see what was
flushed, recovery gives the latest rows, retention trims the same history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count

from fasit.reconcile import (
    DecisionRecord,
    Deploy,
    InventoryRecord,
    LogRecord,
    Recovered,
    Retention,
)
from fasit.reconcile._write_queue import Write, WriteQueue

__all__ = ["MemoryDatabase", "MemoryStatusStore"]


@dataclass
class MemoryDatabase:
    """The tables a `MemoryStatusStore` writes; shared by the stores that "reopen" it."""

    decisions: list[tuple[int, DecisionRecord]] = field(default_factory=list)
    deploys: list[tuple[int, Deploy]] = field(default_factory=list)
    logs: list[tuple[int, LogRecord]] = field(default_factory=list)
    inventories: dict[str, InventoryRecord] = field(default_factory=dict)
    ids: count[int] = field(default_factory=lambda: count(1))
    """Row ids, growing across the tables (only their order within a table means anything)."""


class MemoryStatusStore:
    """`StatusStore` over a `MemoryDatabase`; the options mirror `SqliteStatusStore`'s."""

    def __init__(
        self,
        database: MemoryDatabase | None = None,
        *,
        retention: Retention | None = None,
        batch_size: int = 500,
        retention_interval: float = 0.0,
        max_queued: int = 100_000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        # The interval between retention runs is a cost the SQL stores save; in memory
        # retention runs after every batch, which keeps the same history as interval 0.
        del retention_interval
        self.database = database or MemoryDatabase()
        self._retention = retention or Retention()
        self._clock = clock
        self._writes = WriteQueue(self._write_batch, batch_size, max_queued)
        self._touched: set[tuple[str, str]] = set()
        self._touched_instructions: set[str] = set()

    @property
    def dropped(self) -> Counter[str]:
        """Writes dropped because the queue was full, by table."""
        return self._writes.dropped

    # -- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> Recovered:
        if self._writes.running:
            raise RuntimeError("MemoryStatusStore.open: already open")
        self._writes.start()
        return self._recover()

    async def flush(self) -> None:
        await self._writes.flush()

    async def close(self) -> None:
        await self._writes.stop()

    # -- writes: a `Write` whose parameters carry the record itself ------------------------------

    def record_decision(self, record: DecisionRecord) -> None:
        pair = (record.environment, record.feature)
        self._writes.put(Write("decisions", "", (record,), pair))

    def record_deploy(self, deploy: Deploy) -> None:
        pair = (deploy.environment, deploy.feature)
        self._writes.put(Write("deploys", "", (deploy,), pair))

    def record_logs(self, records: Sequence[LogRecord]) -> None:
        for record in records:
            self._writes.put(Write("logs", "", (record,), instruction=record.instruction_id))

    def record_inventory(self, record: InventoryRecord) -> None:
        self._writes.put(Write("inventories", "", (record,)))

    async def _write_batch(self, batch: list[Write]) -> None:
        db = self.database
        for write in batch:
            (record,) = write.parameters
            if isinstance(record, DecisionRecord):
                db.decisions.append((next(db.ids), record))
            elif isinstance(record, Deploy):
                db.deploys.append((next(db.ids), record))
            elif isinstance(record, LogRecord):
                db.logs.append((next(db.ids), record))
            elif isinstance(record, InventoryRecord):
                db.inventories[record.environment] = record
            if write.pair is not None:
                self._touched.add(write.pair)
            if write.instruction is not None:
                self._touched_instructions.add(write.instruction)
        self._apply_retention()

    # -- reads ---------------------------------------------------------------------------------

    async def decisions(
        self, environment: str, feature: str, limit: int = 100
    ) -> list[DecisionRecord]:
        pair = (environment, feature)
        rows = [r for _, r in self.database.decisions if (r.environment, r.feature) == pair]
        return rows[::-1][:limit]

    async def deploys(self, environment: str, feature: str, limit: int = 100) -> list[Deploy]:
        pair = (environment, feature)
        rows = [d for _, d in self.database.deploys if (d.environment, d.feature) == pair]
        return rows[::-1][:limit]

    async def logs(self, instruction_id: str, limit: int = 5_000) -> list[LogRecord]:
        return [r for _, r in self.database.logs if r.instruction_id == instruction_id][:limit]

    async def inventories(self) -> dict[str, InventoryRecord]:
        return dict(self.database.inventories)

    # -- recovery and retention, as _store_sql.py does them in SQL -----------------------------

    def _recover(self) -> Recovered:
        db = self.database
        decisions = {(r.environment, r.feature): r for _, r in db.decisions}
        latest: dict[str, tuple[int, Deploy]] = {}
        for row_id, deploy in db.deploys:
            latest[deploy.instruction_id] = (row_id, deploy)
        deploys = [deploy for _, deploy in sorted(latest.values(), key=lambda row: row[0])]
        return Recovered(decisions, deploys, dict(db.inventories))

    def _apply_retention(self) -> None:
        db, keep = self.database, self._retention
        pairs, self._touched = self._touched, set()
        instructions, self._touched_instructions = self._touched_instructions, set()
        for instruction_id in instructions:
            self._trim_lines(instruction_id, keep.lines_per_instruction)
        stale = self._clock() - keep.inventory_age
        db.inventories = {env: r for env, r in db.inventories.items() if r.at >= stale}
        for pair in pairs:
            self._trim_pair(pair, keep)

    def _trim_pair(self, pair: tuple[str, str], keep: Retention) -> None:
        db = self.database
        of_pair = [row for row in db.decisions if (row[1].environment, row[1].feature) == pair]
        dropped = {row_id for row_id, _ in of_pair[: max(0, len(of_pair) - keep.decisions)]}
        db.decisions = [row for row in db.decisions if row[0] not in dropped]
        newest: dict[str, int] = {}
        for row_id, deploy in db.deploys:
            if (deploy.environment, deploy.feature) == pair:
                newest[deploy.instruction_id] = row_id
        by_age = sorted(newest, key=lambda instruction_id: newest[instruction_id], reverse=True)
        gone = set(by_age[keep.instructions :])
        db.deploys = [row for row in db.deploys if row[1].instruction_id not in gone]
        db.logs = [row for row in db.logs if row[1].instruction_id not in gone]

    def _trim_lines(self, instruction_id: str, keep: int) -> None:
        """An instruction's newest `keep` lines; none once its deploy rows are gone."""
        db = self.database
        known = any(deploy.instruction_id == instruction_id for _, deploy in db.deploys)
        lines = [row_id for row_id, r in db.logs if r.instruction_id == instruction_id]
        dropped = set(lines if not known else lines[: max(0, len(lines) - keep)])
        db.logs = [row for row in db.logs if row[0] not in dropped]
