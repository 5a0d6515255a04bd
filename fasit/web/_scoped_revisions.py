"""The revision history as one tenant viewer may see it (scoped.py's layer, for revisions).

A problem concerns a viewer when its file holds one of its environments (or their Configs)
in the served revision, or holds nothing tenant-specific (Features, Assignments, Rollouts,
the index); a file the served revision does not know is shown to fleet admins only. A
revision is hidden when everything it names (problems' files, changed environments) is
another tenant's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from fasit.plan import Plan, PlanChanges
from fasit.state import (
    FailedRevision,
    Freshness,
    Outcome,
    Problem,
    Revision,
    RevisionRecord,
    Severity,
    Snapshot,
)
from fasit.web.read import Revisions

__all__ = ["ScopedRevisions"]


@dataclass(frozen=True, slots=True)
class _Files:
    """Which tenants each file of the served revision concerns (empty: every tenant)."""

    snapshot: Snapshot | None
    owners: Mapping[str, frozenset[str]]


def _files(snapshot: Snapshot | None) -> _Files:
    if snapshot is None:
        return _Files(None, {})
    index = snapshot.index
    owners: dict[str, set[str]] = {}
    shared = [f.file for f in index.features.values()] + [a.file for a in index.assignments]
    shared += [layout.rollout.file for layout in index.rollouts.values()]
    for file in shared:
        owners.setdefault(file, set())
    for environment in index.environments.values():
        owners.setdefault(environment.file, set()).add(environment.model.tenant)
    for (environment_id, _), config in index.configs.items():
        owners.setdefault(config.file, set()).add(environment_id.partition("/")[0])
    return _Files(snapshot, {file: frozenset(tenants) for file, tenants in owners.items()})


class ScopedRevisions:
    """The revision history with only the revisions and problems that concern the viewer."""

    def __init__(
        self,
        store: Revisions,
        tenants: frozenset[str],
        plan_changes: Callable[[], Sequence[PlanChanges]],
        planned: Callable[[], tuple[Snapshot, Plan] | None],
    ) -> None:
        self._store = store
        self._tenants = tenants
        self._plan_changes = plan_changes
        self._planned = planned
        self._files = _files(None)
        self._named: tuple[Snapshot, Revision, Snapshot] | None = None

    @property
    def current(self) -> Snapshot | None:
        """The served snapshot, named by the newest served revision this viewer may see: a
        commit that changed only another tenant's environments changed nothing here, and its
        id, author and message are not this viewer's to read."""
        current = self._store.current
        if current is None:
            return None
        shown = next((r for r in self.history if r.outcome is Outcome.SERVED), None)
        if shown is None or shown.revision == current.revision:
            return current
        if self._named is None or self._named[0] is not current or self._named[1] != shown.revision:
            self._named = (current, shown.revision, replace(current, revision=shown.revision))
        return self._named[2]

    @property
    def ready(self) -> bool:
        return self._store.ready

    @property
    def failed_revisions(self) -> int:
        return self._store.failed_revisions

    @property
    def source_errors(self) -> int:
        return self._store.source_errors

    @property
    def history(self) -> tuple[RevisionRecord, ...]:
        kept = (self._scoped(record) for record in self._store.history)
        return tuple(record for record in kept if record is not None)

    @property
    def newest_failed(self) -> FailedRevision | None:
        failed = self._store.newest_failed
        record = None if failed is None else self._scoped(failed.record)
        if failed is None or record is None:
            return None
        return FailedRevision(record, tuple(p for p in failed.problems if self._concerns(p)))

    @property
    def freshness(self) -> Freshness:
        freshness = self._store.freshness
        current = self.current
        served = None if current is None else current.revision
        history = self.history
        newest = history[0].revision if history else served
        reason = freshness.reason
        failed = self._store.newest_failed
        if failed is not None and self._scoped(failed.record) is None:
            # Another tenant's broken revision: stale all the same, but not a word of it.
            reason = "the newest revision cannot be served; serving the last good revision"
        return replace(freshness, served=served, newest=newest, reason=reason)

    def _scoped(self, record: RevisionRecord) -> RevisionRecord | None:
        problems = tuple(p for p in record.problems if self._concerns(p))
        named = bool(record.problems)
        concerns = bool(problems)
        has_plan = False
        for entry in self._plan_changes():
            if entry.revision.id != record.revision.id:
                continue
            has_plan = True
            for environment, _ in entry.affected:
                named = True
                if concerns or environment.partition("/")[0] in self._tenants:
                    concerns = True
                    break
        if named and not concerns:
            return None
        planned = self._planned()
        current = self._store.current
        if (
            not concerns
            and not has_plan
            and current is not None
            and current.revision == record.revision
            and (planned is None or planned[1].revision != record.revision)
        ):
            return None  # served, not planned yet: it may change another tenant's only
        release_problems: Mapping[str, int] = {}
        if planned is not None and planned[1].revision.id == record.revision.id:
            release_problems = planned[1].problem_counts()
        return replace(
            record,
            problems=problems,
            errors=sum(p.severity is Severity.ERROR for p in problems),
            warnings=sum(p.severity is Severity.WARNING for p in problems),
            release_problems=release_problems,
        )

    def _concerns(self, problem: Problem) -> bool:
        if not problem.file:
            return True  # about the whole tree (too many files): nobody's in particular
        current = self._store.current
        if self._files.snapshot is not current:
            self._files = _files(current)
        owners = self._files.owners.get(problem.file)
        return owners is not None and (not owners or bool(owners & self._tenants))
