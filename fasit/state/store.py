"""The snapshot store: the one good snapshot being served, and what happened to the others.

Swapping is one reference assignment, so it is atomic: a reader takes `store.current` once per
request and keeps that immutable snapshot for the whole request, whatever is swapped in
meanwhile. A revision with blocking problems is recorded and never served; the last good
snapshot stays. The store says how stale it is: the revision served against the newest one
seen, or a source that cannot reach its remote, and since when.

The store lives on the event loop: call its methods from the loop's thread.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from fasit.state.problems import Problem, Severity
from fasit.state.snapshot import Revision, Snapshot

__all__ = ["FailedRevision", "Freshness", "Outcome", "RevisionRecord", "SnapshotStore"]


class Outcome(StrEnum):
    """What became of a revision the store was offered."""

    SERVED = "served"
    FAILED = "failed"
    """It had blocking problems: recorded, never served."""


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    """One line of the revision history."""

    revision: Revision
    outcome: Outcome
    recorded_at: datetime
    errors: int
    warnings: int
    problems: tuple[Problem, ...] = ()
    """The first `SnapshotStore.problems_kept` problems, for the revision history."""
    release_problems: Mapping[str, int] = field(default_factory=dict)
    """Releases its plan stopped, by problem code (`chart-unavailable`: 2): a served revision
    has no errors but may leave releases behind. Empty until it is planned (`planned`)."""


@dataclass(frozen=True, slots=True)
class FailedRevision:
    """The latest revision that could not be served, with every problem it had."""

    record: RevisionRecord
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class Freshness:
    """How current the served snapshot is."""

    served: Revision | None
    newest: Revision | None
    """The newest revision seen, served or not."""
    stale_since: datetime | None
    """When the store stopped following its source; None while it is current."""
    reason: str
    """Why it is stale, for people ("" while current)."""

    @property
    def stale(self) -> bool:
        return self.stale_since is not None


class SnapshotStore:
    """Holds the current good snapshot, the latest failure and the recent history."""

    problems_kept = 100
    """Problems kept per revision in the history (the latest failure keeps all of its)."""

    def __init__(
        self, history_size: int = 50, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._current: Snapshot | None = None
        self._newest: Revision | None = None
        self._failed: FailedRevision | None = None
        self._history: deque[RevisionRecord] = deque(maxlen=history_size)
        self._source_error = ""
        self._stale_since: datetime | None = None
        self._clock = clock
        self._swapped = asyncio.Event()
        self._listeners: list[Callable[[Snapshot, RevisionRecord], None]] = []
        self.source_errors = 0
        """Times the source reported it cannot read its revisions."""
        self.failed_revisions = 0
        """Revisions offered with blocking problems (never served)."""

    def listen(self, listener: Callable[[Snapshot, RevisionRecord], None]) -> None:
        """Call `listener` with each newly offered snapshot and its record (metrics)."""
        self._listeners.append(listener)

    @property
    def current(self) -> Snapshot | None:
        """The snapshot being served; None until a first good revision arrived."""
        return self._current

    @property
    def ready(self) -> bool:
        return self._current is not None

    @property
    def failed(self) -> FailedRevision | None:
        return self._failed

    @property
    def newest_failed(self) -> FailedRevision | None:
        """The latest failure while it is the newest revision seen (what banners show)."""
        failed, newest = self._failed, self._newest
        if failed is None or newest is None or failed.record.revision.id != newest.id:
            return None
        return failed

    @property
    def history(self) -> tuple[RevisionRecord, ...]:
        """The latest revisions offered, newest first."""
        return tuple(reversed(self._history))

    @property
    def freshness(self) -> Freshness:
        served = self._current.revision if self._current else None
        return Freshness(served, self._newest, self._stale_since, self._stale_reason())

    def offer(self, snapshot: Snapshot, *, cached: bool = False) -> RevisionRecord:
        """Record a newly built revision and serve it unless it has blocking problems.

        A revision offered means its source read it, so this also clears the source's error, in
        the same step: freshness never says "down" beside a revision the source just delivered.
        `cached` is the exception: a revision from the source's cache while it is down (a
        lenient start) leaves the error standing. Offering the revision that is both served and
        newest again changes nothing else.
        """
        if not cached:
            self._source_error = ""
        if self._history and self._is_current(snapshot.revision):
            self._update_staleness(self._clock())
            return self._history[-1]
        now = self._clock()
        errors = sum(problem.severity is Severity.ERROR for problem in snapshot.problems)
        warnings = sum(problem.severity is Severity.WARNING for problem in snapshot.problems)
        outcome = Outcome.FAILED if errors else Outcome.SERVED
        kept = snapshot.problems[: self.problems_kept]
        record = RevisionRecord(snapshot.revision, outcome, now, errors, warnings, kept)
        self._history.append(record)
        self._newest = snapshot.revision
        if outcome is Outcome.FAILED:
            self._failed = FailedRevision(record, snapshot.problems)
            self.failed_revisions += 1
        else:
            self._current = snapshot
            self._swapped.set()
            self._swapped = asyncio.Event()
        self._update_staleness(now)
        for listener in self._listeners:
            listener(snapshot, record)
        return record

    def planned(
        self, revision: Revision, release_problems: Mapping[str, int]
    ) -> RevisionRecord | None:
        """Record what the plan of a served revision found per release, on its newest entry.

        Returns the updated record; None when the revision has no served entry any more (it
        left the history while it was planned).
        """
        for position in range(len(self._history) - 1, -1, -1):
            record = self._history[position]
            if record.revision.id == revision.id and record.outcome is Outcome.SERVED:
                counts = dict(sorted(release_problems.items()))
                self._history[position] = replace(record, release_problems=counts)
                return self._history[position]
        return None

    def source_error(self, reason: str) -> None:
        """The source cannot read its revisions (a remote down): keep serving, and say so."""
        if not self._source_error:
            self.source_errors += 1
        self._source_error = reason
        self._update_staleness(self._clock())

    def source_recovered(self) -> None:
        """The source reads its revisions again."""
        self._source_error = ""
        self._update_staleness(self._clock())

    async def updates(self) -> AsyncIterator[Snapshot]:
        """The current snapshot, then each one swapped in after it.

        Level-triggered: a subscriber that falls behind gets the newest snapshot, never a
        backlog of the ones it missed.
        """
        seen: Snapshot | None = None
        while True:
            swapped = self._swapped
            current = self._current
            if current is not None and current is not seen:
                seen = current
                yield current
                continue
            await swapped.wait()

    def _is_current(self, revision: Revision) -> bool:
        served = self._current.revision.id if self._current else None
        newest = self._newest.id if self._newest else None
        return revision.id == served == newest

    def _update_staleness(self, now: datetime) -> None:
        if self._stale_reason():
            self._stale_since = self._stale_since or now
        else:
            self._stale_since = None

    def _stale_reason(self) -> str:
        if self._source_error:
            return self._source_error
        served = self._current.revision.id if self._current else None
        if self._newest is not None and self._newest.id != served:
            blocking = self._failed.record.errors if self._failed else 0
            return (
                f"revision {self._newest.short_id} has {blocking} blocking "
                f"problem{'s' * (blocking != 1)}; serving the last good revision"
            )
        return ""
