"""The read side as one viewer may see it: the one layer where tenant isolation happens.

`Scopes.of(viewer)` (pages.sources) gives the `Sources` every page, twin, status answer and
live notice reads: for a fleet admin (or with no authentication) the read side itself; for a
tenant viewer a `ReadSide` whose fleet, plan, snapshot index, revisions, plans' changes,
rollouts and history hold only what concerns the viewer's environments. Pages never check
tenants themselves, so a count, a filter or a search cannot forget to. Scoped views are cached
per tenant set.

A problem concerns a viewer when its file holds one of its environments (or their Configs)
in the served revision, or holds nothing tenant-specific (Features, Assignments, Rollouts,
the index); a file the served revision does not know is shown to fleet admins only. A
revision is hidden when everything it names (problems' files, changed environments) is
another tenant's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

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
from fasit.web.read import Fleet, History, ReadSide, Revisions

__all__ = ["HIDDEN_ENVIRONMENT", "Redactor", "ScopedFleet", "scoped_read"]

Sees = Callable[[str], bool]


HIDDEN_ENVIRONMENT = "(another tenant's environment)"
"""What a message shows in place of an environment the viewer may not see."""


class Redactor:
    """Words about another tenant's environments taken out of sentences: a wave waiting for
    `acme/dev`, a circuit opened by failures elsewhere. The ids to hide are every environment
    of the plan and the fleet that the viewer does not see, found again when either moves."""

    def __init__(self, read: ReadSide, sees: Sees) -> None:
        self._read = read
        self._sees = sees
        self._made: tuple[object, int] = (None, -1)
        self._hidden: tuple[frozenset[str], re.Pattern[str] | None] = (frozenset(), None)

    def __call__(self, text: str) -> str:
        pattern = self._pattern()
        return text if pattern is None or not text else pattern.sub(HIDDEN_ENVIRONMENT, text)

    def _pattern(self) -> re.Pattern[str] | None:
        planned = self._read.planned()
        plan = None if planned is None else planned[1]
        generation = self._read.fleet.generation
        if self._made[0] is not plan or self._made[1] != generation:
            names = set() if plan is None else set(plan.environments)
            names |= {view.environment for view in self._read.fleet.releases()}
            hidden = frozenset(n for n in names if not self._sees(n))
            if hidden != self._hidden[0]:  # compiled again only when the ids to hide change
                self._hidden = (hidden, _alternatives(hidden))
            self._made = (plan, generation)
        return self._hidden[1]


def _alternatives(names: frozenset[str]) -> re.Pattern[str] | None:
    """A pattern matching any of `names` as a whole environment id (`acme/dev`, not
    `acme/dev-2`), longest first; None for none."""
    if not names:
        return None
    words = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
    return re.compile(rf"(?<![-a-z0-9/])(?:{words})(?![-a-z0-9])")


class ScopedFleet:
    """The fleet's releases and agents in the viewer's environments only."""

    def __init__(self, fleet: Fleet, sees: Sees, redact: Callable[[str], str]) -> None:
        self._fleet = fleet
        self._sees = sees
        self._redact = redact
        self._made: tuple[int, list[ReleaseView], int] = (-1, [], 0)

    @property
    def generation(self) -> int:
        return self._fleet.generation

    def releases(self) -> list[ReleaseView]:
        return self._current()[1]

    def fingerprint(self) -> int:
        """Moves when a release this viewer sees changed (live notices compare it): never for
        another tenant's release, so no notice tells one tenant of another's change."""
        return self._current()[2]

    def agent(self, environment: str) -> AgentView | None:
        return self._fleet.agent(environment) if self._sees(environment) else None

    def _current(self) -> tuple[int, list[ReleaseView], int]:
        generation = self._fleet.generation
        if self._made[0] != generation:
            views = [
                replace(v, message=self._redact(v.message))
                for v in self._fleet.releases()
                if self._sees(v.environment)
            ]
            # Not `updated_at`: a pass that touches only another tenant may still stamp it.
            shown = tuple(
                (
                    v.environment,
                    v.feature,
                    v.status,
                    v.reason,
                    v.desired_version,
                    v.running_version,
                    v.message,
                    v.deployed_at,
                )
                for v in views
            )
            self._made = (generation, views, hash(shown))
        return self._made


class _ScopedHistory:
    """Decisions and deploys of the viewer's environments only."""

    def __init__(self, history: History, sees: Sees, redact: Callable[[str], str]) -> None:
        self._history = history
        self._sees = sees
        self._redact = redact

    async def decisions(
        self, environment: str, feature: str, limit: int = 100
    ) -> list[DecisionRecord]:
        if not self._sees(environment):
            return []
        records = await self._history.decisions(environment, feature, limit)
        return [replace(r, message=self._redact(r.message)) for r in records]

    async def deploys(self, environment: str, feature: str, limit: int = 100) -> list[Deploy]:
        if not self._sees(environment):
            return []
        rows = await self._history.deploys(environment, feature, limit)
        return [replace(r, error=self._redact(r.error)) for r in rows]

    async def finished_deploys(
        self, feature: str, environments: Sequence[str], limit: int = 100
    ) -> list[Deploy]:
        seen = [environment for environment in environments if self._sees(environment)]
        rows = await self._history.finished_deploys(feature, seen, limit) if seen else []
        return [replace(r, error=self._redact(r.error)) for r in rows]

    async def logs(self, instruction_id: str, limit: int = 5_000) -> list[LogRecord]:
        # Instruction ids reach a page only from `deploys` above, which is scoped.
        return await self._history.logs(instruction_id, limit)


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


class _ScopedRevisions:
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


def _scoped_changes(entry: PlanChanges, sees: Sees) -> PlanChanges:
    affected = {key: kind for key, kind in entry.affected.items() if sees(key[0])}
    changes = tuple(change for change in entry.changes if sees(change.environment))
    return replace(entry, changes=changes, total=len(affected), affected=affected)


def _scoped_plan(snapshot: Snapshot, plan: Plan, sees: Sees) -> tuple[Snapshot, Plan]:
    releases = {key: release for key, release in plan.releases.items() if sees(key[0])}
    environments = {name: env for name, env in plan.environments.items() if sees(name)}
    index = snapshot.index
    matched = snapshot.targeting.matched
    scoped_index = replace(
        index,
        # An assignment is the viewer's business where it reaches one of its environments;
        # one aimed only at another tenant (its target, its description) is not.
        assignments=tuple(a for a in index.assignments if any(map(sees, matched(a)))),
        environments={name: env for name, env in index.environments.items() if sees(name)},
        configs={key: config for key, config in index.configs.items() if sees(key[0])},
        management={tenant: env for tenant, env in index.management.items() if sees(env.model.id)},
    )
    scoped_plan = replace(
        plan,
        releases=releases,
        environments=environments,
        features=frozenset(feature for _, feature in releases),
    )
    return replace(snapshot, index=scoped_index), scoped_plan


def _scoped_rollout(
    change: ChangeProgress, sees: Sees, redact: Callable[[str], str]
) -> ChangeProgress | None:
    waves = tuple(
        replace(
            wave,
            standings=tuple(s for s in wave.standings if sees(s.environment)),
            hold=None
            if wave.hold is None
            else replace(wave.hold, message=redact(wave.hold.message)),
        )
        for wave in change.waves
    )
    if not any(wave.standings for wave in waves):
        return None
    return replace(change, waves=waves, halted=redact(change.halted))


def scoped_read(read: ReadSide, tenants: frozenset[str]) -> tuple[ReadSide, ScopedFleet]:
    """`read` as a viewer of `tenants` sees it (and its fleet, for live notices)."""

    def sees(environment: str) -> bool:
        return environment.partition("/")[0] in tenants

    redact = Redactor(read, sees)
    fleet = ScopedFleet(read.fleet, sees, redact)
    made: list[tuple[Plan, tuple[Snapshot, Plan]]] = []

    def planned() -> tuple[Snapshot, Plan] | None:
        whole = read.planned()
        if whole is None:
            return None
        if not made or made[0][0] is not whole[1]:  # the plan is held: `is` stays true to it
            made[:] = [(whole[1], _scoped_plan(whole[0], whole[1], sees))]
        return made[0][1]

    def plan_changes() -> Sequence[PlanChanges]:
        return [_scoped_changes(entry, sees) for entry in read.plan_changes()]

    def rollouts() -> Sequence[ChangeProgress]:
        kept = (_scoped_rollout(change, sees, redact) for change in read.rollouts())
        return [change for change in kept if change is not None]

    def replicas() -> Ownership | None:
        whole = read.replicas()
        if whole is None:
            return None
        # Every replica is listed; of their leases, only the viewer's environments.
        owners = {e: owner for e, owner in whole.owners.items() if sees(e)}
        return replace(whole, owned=frozenset(filter(sees, whole.owned)), owners=owners)

    def agents_connected() -> int:
        whole = planned()
        declared = set() if whole is None else set(whole[1].environments)
        declared |= {view.environment for view in fleet.releases()}
        return sum(1 for name in declared if (a := fleet.agent(name)) and a.connected)

    scoped = ReadSide(
        _ScopedRevisions(read.store, tenants, read.plan_changes, planned),
        fleet,
        agents_connected,
        planned=planned,
        plan_changes=plan_changes,
        history=_ScopedHistory(read.history, sees, redact),
        agent_messages_dropped=read.agent_messages_dropped,
        status_writes_dropped=read.status_writes_dropped,
        decided_revision=read.decided_revision,
        rollouts=rollouts,
        replicas=replicas,
    )
    return scoped, fleet
