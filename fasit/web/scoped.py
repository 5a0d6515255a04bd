"""The read side as one viewer may see it: the one layer where tenant isolation happens.

`Scopes.of(viewer)` (pages.sources) gives the `Sources` every page, twin, status answer and
live notice reads: for a fleet admin (or with no authentication) the read side itself; for a
tenant viewer a `ReadSide` whose fleet, plan, snapshot index, revisions, plans' changes,
rollouts and history hold only what concerns the viewer's environments. Pages never check
tenants themselves, so a count, a filter or a search cannot forget to. Scoped views are cached
per tenant set.

Which revisions and problems concern a viewer: _scoped_revisions.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

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
from fasit.state import Snapshot
from fasit.web._scoped_revisions import ScopedRevisions
from fasit.web.read import Fleet, History, ReadSide

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
        ScopedRevisions(read.store, tenants, read.plan_changes, planned),
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
