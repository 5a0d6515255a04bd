"""What the web side reads, as protocols over the stages before it; nothing here writes.

`ReadSide` bundles the snapshot store (revisions and their problems), the reconciler (release
statuses, agents; `generation` says when they may have changed), the latest plan with its
snapshot (explanations, values), the plans' history (what each revision changed) and the
status store's history (decisions, deploys, agent log lines).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from fasit.plan import Plan, PlanChanges
from fasit.reconcile import (
    AgentView,
    ChangeProgress,
    DecisionRecord,
    Deploy,
    LogRecord,
    Ownership,
    ReleaseView,
)
from fasit.state import FailedRevision, Freshness, RevisionRecord, Snapshot

__all__ = ["Fleet", "History", "NoHistory", "ReadSide", "ReleaseIndex", "Revisions"]


class Fleet(Protocol):
    """The reconciler's read side."""

    @property
    def generation(self) -> int:
        """Moves whenever `releases()` may show something else."""
        ...

    def releases(self) -> list[ReleaseView]:
        """Every (environment, feature) desired or running, by environment then feature."""
        ...

    def agent(self, environment: str) -> AgentView | None: ...


class ReleaseIndex:
    """The fleet's release views by (environment, feature), made again only when the fleet's
    `generation` moves: a progress question polled every second costs a lookup per release it
    asks about, not a walk over the fleet (100,000 views take some 40 ms to index)."""

    def __init__(self, fleet: Fleet) -> None:
        self._fleet = fleet
        self._made: tuple[int, Mapping[tuple[str, str], ReleaseView]] = (-1, {})

    def views(self) -> Mapping[tuple[str, str], ReleaseView]:
        generation = self._fleet.generation
        if self._made[0] != generation:
            views = {(view.environment, view.feature): view for view in self._fleet.releases()}
            self._made = (generation, views)
        return self._made[1]


class Revisions(Protocol):
    """The snapshot store's read half (`SnapshotStore`, or a viewer's part of it)."""

    @property
    def current(self) -> Snapshot | None: ...

    @property
    def ready(self) -> bool: ...

    @property
    def newest_failed(self) -> FailedRevision | None: ...

    @property
    def history(self) -> tuple[RevisionRecord, ...]: ...

    @property
    def freshness(self) -> Freshness: ...

    @property
    def failed_revisions(self) -> int: ...

    @property
    def source_errors(self) -> int: ...


class History(Protocol):
    """The status store's read half (`StatusStore`)."""

    async def decisions(
        self, environment: str, feature: str, limit: int = 100
    ) -> list[DecisionRecord]: ...

    async def deploys(self, environment: str, feature: str, limit: int = 100) -> list[Deploy]: ...

    async def finished_deploys(
        self, feature: str, environments: Sequence[str], limit: int = 100
    ) -> list[Deploy]: ...

    async def logs(self, instruction_id: str, limit: int = 5_000) -> list[LogRecord]: ...


class NoHistory:
    """A history that holds nothing (before a status store is open, and in tests)."""

    async def decisions(
        self, environment: str, feature: str, limit: int = 100
    ) -> list[DecisionRecord]:
        return []

    async def deploys(self, environment: str, feature: str, limit: int = 100) -> list[Deploy]:
        return []

    async def finished_deploys(
        self, feature: str, environments: Sequence[str], limit: int = 100
    ) -> list[Deploy]:
        return []

    async def logs(self, instruction_id: str, limit: int = 5_000) -> list[LogRecord]:
        return []


def _nothing_planned() -> tuple[Snapshot, Plan] | None:
    return None


def _no_plan_changes() -> Sequence[PlanChanges]:
    return ()


def _no_rollouts() -> Sequence[ChangeProgress]:
    return ()


def _no_replicas() -> Ownership | None:
    return None


def _none_dropped() -> Mapping[tuple[str, str], int]:
    return {}


@dataclass(frozen=True, slots=True)
class ReadSide:
    """What the surfaces read: snapshots, statuses, agents, plans and their history."""

    store: Revisions
    fleet: Fleet
    agents_connected: Callable[[], int]
    planned: Callable[[], tuple[Snapshot, Plan] | None] = _nothing_planned
    """The latest plan and the snapshot it was planned from."""
    plan_changes: Callable[[], Sequence[PlanChanges]] = _no_plan_changes
    """What each recent plan changed, newest first."""
    history: History = field(default_factory=NoHistory)
    agent_messages_dropped: Callable[[], Mapping[tuple[str, str], int]] = _none_dropped
    """Agent messages (or lines) the hub dropped, by (kind, reason): AgentHub.dropped."""
    status_writes_dropped: Callable[[], Mapping[str, int]] = dict
    """Status store writes dropped because its queue was full, by table."""
    decided_revision: Callable[[], str] = str
    """The revision whose plan the fleet's release views were decided over ("" before the
    first pass): Reconciler.decided_revision."""
    rollouts: Callable[[], Sequence[ChangeProgress]] = _no_rollouts
    """Each change rolling through a Rollout's waves (Reconciler.rollouts)."""
    replicas: Callable[[], Ownership | None] = _no_replicas
    """The replicas sharing the fleet and their leases, as of this replica's latest renewal
    (LeaseKeeper.current); None for a controller that shares nothing (SQLite)."""
