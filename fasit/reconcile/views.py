"""What every surface shows of a release: `ReleaseView`, made from the decider's current
decisions and the run-time state, and cached per environment.

The read side asks often (a dashboard polled all day) and the fleet changes rarely, so the
views are rebuilt only for the environments whose decisions or run-time state changed since
they were last made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fasit.reconcile.decisions import Decision, Reason
from fasit.reconcile.deploys import Deploy, DeployState
from fasit.reconcile.fleet import FleetDecider
from fasit.reconcile.ladder import Status, shown_status
from fasit.reconcile.runtime import EnvironmentRuntime, Runtime
from fasit.reconcile.store import DecisionRecord, Recovered

__all__ = ["ReleaseView", "ReleaseViews", "stored_views"]


@dataclass(frozen=True, slots=True)
class ReleaseView:
    """One (environment, feature) as every surface shows it."""

    environment: str
    feature: str
    status: Status
    reason: Reason
    desired_version: str
    running_version: str
    message: str
    updated_at: datetime
    deployed_at: datetime | None = None
    """When the release last finished deploying; None if fasit never saw it deployed."""


@dataclass(frozen=True, slots=True)
class _CachedViews:
    """One environment's views, valid while its decisions and run-time state are the same."""

    decisions: list[Decision]
    runtime_version: int
    views: tuple[ReleaseView, ...]


class ReleaseViews:
    """The views of a reconciler's releases: `all` for the fleet, `one` for a release."""

    def __init__(
        self,
        fleet: FleetDecider,
        runtime: Runtime,
        recorded: Callable[[tuple[str, str]], DecisionRecord | None],
        clock: Callable[[], datetime],
    ) -> None:
        self._fleet = fleet
        self._runtime = runtime
        self._recorded = recorded
        self._clock = clock
        self._views: dict[str, _CachedViews] = {}
        self._all: tuple[int, list[ReleaseView]] = (-1, [])
        self.stored: dict[str, tuple[ReleaseView, ...]] = {}
        """Views of the environments other replicas own, as the status store has them
        (`stored_views`); an environment this reconciler decides is shown from its decisions."""

    def all(self, generation: int) -> list[ReleaseView]:
        """Every (environment, feature) desired or running, by environment then feature; made
        again only when `generation` moved, and then only where something changed."""
        made_at, views = self._all
        if made_at == generation:
            return views
        current = self._fleet.current
        for gone in self._views.keys() - current.keys():
            del self._views[gone]
        views = []
        for environment in sorted(current.keys() | self.stored.keys()):
            decided = current.get(environment)
            if decided is not None:
                views.extend(self._environment_views(environment, decided))
            else:
                views.extend(self.stored[environment])
        self._all = (generation, views)
        return views

    def one(self, environment: str, feature: str) -> ReleaseView | None:
        for decision in self._fleet.current.get(environment, ()):
            if decision.feature == feature:
                return self._view(decision, self._runtime.environments.get(environment))
        stored = () if environment in self._fleet.current else self.stored.get(environment, ())
        return next((view for view in stored if view.feature == feature), None)

    def _environment_views(
        self, environment: str, decisions: list[Decision]
    ) -> tuple[ReleaseView, ...]:
        state = self._runtime.environments.get(environment)
        version = -1 if state is None else state.version
        cached = self._views.get(environment)
        if cached is None or cached.decisions is not decisions or cached.runtime_version != version:
            cached = _CachedViews(
                decisions, version, tuple(self._view(decision, state) for decision in decisions)
            )
            self._views[environment] = cached
        return cached.views

    def _view(self, decision: Decision, state: EnvironmentRuntime | None) -> ReleaseView:
        deploy = None if state is None else state.latest.get(decision.feature)
        running = None if state is None else state.releases.get(decision.feature)
        recorded = self._recorded((decision.environment, decision.feature))
        updated = recorded.at if recorded is not None else None
        if deploy is not None and (updated is None or deploy.updated_at > updated):
            updated = deploy.updated_at
        return ReleaseView(
            decision.environment,
            decision.feature,
            shown_status(decision.reason, deploy, decision.release_hash),
            decision.reason,
            decision.version,
            "" if running is None else running.version,
            decision.message,
            self._clock() if updated is None else updated,
            None if state is None else state.deployed_at.get(decision.feature),
        )


def stored_views(recovered: Recovered) -> dict[str, tuple[ReleaseView, ...]]:
    """The views of environments as the status store has them (their owner's latest decision
    per release, latest deploy and inventory): how a replica shows the environments another
    replica reconciles. Sorted by environment, then feature."""
    latest: dict[tuple[str, str], Deploy] = {}
    deployed: dict[tuple[str, str], datetime] = {}
    for deploy in recovered.deploys:  # oldest first: the last one per release wins
        pair = (deploy.environment, deploy.feature)
        latest[pair] = deploy
        if deploy.state is DeployState.DEPLOYED:
            deployed[pair] = deploy.updated_at
    views: dict[str, list[ReleaseView]] = {}
    for pair, record in sorted(recovered.decisions.items()):
        environment, feature = pair
        inventory = recovered.inventories.get(environment)
        releases = () if inventory is None else inventory.releases
        running = next((r.version for r in releases if r.name == feature), "")
        last = latest.get(pair)
        updated = record.at if last is None else max(record.at, last.updated_at)
        views.setdefault(environment, []).append(
            ReleaseView(
                environment,
                feature,
                shown_status(record.reason, last, record.release_hash),
                record.reason,
                record.version,
                running,
                record.message,
                updated,
                deployed.get(pair),
            )
        )
    return {environment: tuple(shown) for environment, shown in views.items()}
