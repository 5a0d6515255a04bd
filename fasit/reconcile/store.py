"""The status store's contract: what the reconciler writes and what the read side reads.

Append-only logs of run-time facts (never desired state): decisions (a row when one changes),
deploys (a row per state of an instruction), agent log lines, and each environment's last
inventory. Writes never wait: they are queued (up to a bound, beyond which they are dropped and
counted) and written in batches by one writer. SQLite implements it (`sqlite_store.py`), and
PostgreSQL (`postgres_store.py`) for controllers that share a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from fasit.agents import LogLine, ReleaseState
from fasit.reconcile.decisions import Decision, Reason
from fasit.reconcile.deploys import Deploy

__all__ = [
    "DecisionRecord",
    "InventoryRecord",
    "LogRecord",
    "Recovered",
    "Retention",
    "StatusStore",
]


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One row of the decision log: a decision as it was made, with its revision and time."""

    environment: str
    feature: str
    reason: Reason
    message: str
    version: str
    release_hash: str
    revision: str
    at: datetime

    @classmethod
    def of(cls, decision: Decision, revision: str, at: datetime) -> DecisionRecord:
        return cls(
            decision.environment,
            decision.feature,
            decision.reason,
            decision.message,
            decision.version,
            decision.release_hash,
            revision,
            at,
        )

    @property
    def record(self) -> tuple[str, str, str, str]:
        """What is compared with a new decision (`Decision.record`)."""
        return (self.reason.value, self.message, self.version, self.release_hash)


@dataclass(frozen=True, slots=True)
class LogRecord:
    instruction_id: str
    environment: str
    line: LogLine


@dataclass(frozen=True, slots=True)
class InventoryRecord:
    environment: str
    at: datetime
    releases: tuple[ReleaseState, ...]
    error: str = ""


@dataclass(frozen=True, slots=True)
class Recovered:
    """What a restarted reconciler takes back from the store."""

    decisions: Mapping[tuple[str, str], DecisionRecord] = field(default_factory=dict)
    """The latest decision per (environment, feature)."""
    deploys: Sequence[Deploy] = ()
    """The latest row of each instruction still kept, oldest first."""
    inventories: Mapping[str, InventoryRecord] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history is kept: per (environment, feature), per instruction, per environment."""

    decisions: int = 200
    instructions: int = 50
    """Instructions, with every row of their deploy log and their log lines."""
    lines_per_instruction: int = 5_000
    """Agent log lines per instruction; the oldest beyond it are deleted."""
    inventory_age: timedelta = timedelta(days=30)
    """An environment's inventory not reported for this long is deleted (its agent reports a
    new one when it connects)."""

    def __post_init__(self) -> None:
        if min(self.decisions, self.instructions, self.lines_per_instruction) < 1:
            raise ValueError(f"retention must keep at least 1 of each, got {self}")
        if self.inventory_age <= timedelta(0):
            raise ValueError(f"retention must keep inventories a while, got {self}")


class StatusStore(Protocol):
    """The run-time history of the fleet. `record_*` queue and return at once."""

    async def open(self) -> Recovered: ...

    def record_decision(self, record: DecisionRecord) -> None: ...

    def record_deploy(self, deploy: Deploy) -> None: ...

    def record_logs(self, records: Sequence[LogRecord]) -> None: ...

    def record_inventory(self, record: InventoryRecord) -> None: ...

    async def flush(self) -> None:
        """Return once everything recorded before the call is written."""
        ...

    async def close(self) -> None:
        """Write what is queued, then release the store."""
        ...

    async def decisions(
        self, environment: str, feature: str, limit: int = 100
    ) -> list[DecisionRecord]:
        """Newest first."""
        ...

    async def deploys(self, environment: str, feature: str, limit: int = 100) -> list[Deploy]:
        """Every row (state change) of the pair's instructions, newest first."""
        ...

    async def finished_deploys(
        self, feature: str, environments: Sequence[str], limit: int = 100
    ) -> list[Deploy]:
        """The final rows of `feature`'s installs that finished (deployed or failed) in
        `environments` (the first 1,000 of them), newest first: how long deploys take."""
        ...

    async def logs(self, instruction_id: str, limit: int = 5_000) -> list[LogRecord]:
        """The instruction's agent log lines, oldest first."""
        ...

    async def inventories(self) -> dict[str, InventoryRecord]: ...
