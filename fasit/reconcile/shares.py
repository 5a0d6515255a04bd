"""A replica's share of a fleet that several replicas reconcile (leases.py decides who owns
what): which owned environments the reconciler has taken over, and what the others own.

The reconciler hands `Share` its leases (`want`), asks it whether to reconcile an environment
(`includes`), and runs `changes()`: each yields the environments lost (to forget) and the
history of those gained (to take back before they are reconciled), and every
`refresh` seconds what the store says of the environments other replicas own: the read side's
views, their failed releases (the circuit breaker counts the fleet's), and their uninstalls
and releases (the prune budget counts the fleet's). Decides nothing and sends nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from fasit.agents import Action
from fasit.reconcile.deploys import Deploy, DeployState
from fasit.reconcile.ladder import Status
from fasit.reconcile.prune_budget import SharedPruning, UninstallKey
from fasit.reconcile.store import Recovered
from fasit.reconcile.views import ReleaseView, stored_views

__all__ = ["Change", "Share", "SharedHistory", "latest_failed", "shared_pruning", "shown_of"]

logger = logging.getLogger(__name__)


class SharedHistory(Protocol):
    """The status store of a fleet shared by replicas: what another replica left behind."""

    async def recovered(self, environments: Sequence[str]) -> Recovered: ...


@dataclass(frozen=True, slots=True)
class Change:
    """What moved since the last change: forget `lost`, take `gained` back; `stored` is the
    read side's views of every planned environment this replica does not own."""

    lost: frozenset[str]
    gained: frozenset[str]
    history: Recovered
    """What the store holds of `gained`."""
    stored: dict[str, tuple[ReleaseView, ...]] | None
    """None when the store could not be read: the views stay as they were."""
    failed: dict[tuple[str, str], Deploy] | None = None
    """The releases of those environments whose latest deploy failed (what the circuit
    breaker counts fleet-wide); None when the store could not be read."""
    pruning: SharedPruning | None = None
    """What those environments count against the prune budget; None when the store could not
    be read."""


class Share:
    """The environments a replica reconciles: owned by lease, and taken over."""

    def __init__(
        self,
        owns: Callable[[str], bool],
        history: SharedHistory,
        refresh: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._owns = owns
        self._history = history
        self._refresh = refresh
        self._clock = clock
        self.adopted: set[str] = set()
        """Owned environments whose history is taken back: only these are reconciled (a
        lease alone is not enough until then)."""
        self._wanted: frozenset[str] = frozenset()
        self._moved = asyncio.Event()

    def includes(self, environment: str) -> bool:
        return environment in self.adopted and self._owns(environment)

    def want(self, environments: frozenset[str]) -> None:
        """The leases changed: these are this replica's now."""
        self._wanted = environments
        self._moved.set()

    async def changes(self, planned: Callable[[], Collection[str]]) -> AsyncIterator[Change]:
        """A change whenever the leases moved, and every `refresh` seconds. A store that
        cannot be read leaves the gained environments for the next try (soon) and the views
        of the others as they were (`stored` None)."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._refresh):
                    await self._moved.wait()
            moved = self._moved.is_set()
            self._moved.clear()
            lost = frozenset(self.adopted - self._wanted)
            self.adopted -= lost
            gained: tuple[frozenset[str], Recovered] = (frozenset(), Recovered())
            stored: dict[str, tuple[ReleaseView, ...]] | None = None
            failed: dict[tuple[str, str], Deploy] | None = None
            pruning: SharedPruning | None = None
            try:
                if moved:
                    gained = await self._take_over(lost)
                others = sorted(set(planned()) - self.adopted - gained[0])
                theirs = await self._history.recovered(others) if others else Recovered()
                stored, failed = stored_views(theirs), latest_failed(theirs.deploys)
                pruning = shared_pruning(theirs, self._clock())
            except Exception:
                logger.exception("shared fleet not refreshed; tried again shortly")
            # Adopted only now, with no await before the caller takes the history back: until
            # then the hub must not welcome their agents (a result would find no instruction).
            self.adopted |= gained[0]
            yield Change(lost, *gained, stored, failed, pruning)

    async def _take_over(self, lost: frozenset[str]) -> tuple[frozenset[str], Recovered]:
        gained = sorted(self._wanted - self.adopted)
        if not gained:
            return frozenset(), Recovered()
        try:
            recovered = await self._history.recovered(gained)
        except Exception:
            self._moved.set()  # the leases are still ours: try again at the next change
            raise
        kept = {e for e in gained if e in self._wanted}  # the leases may have moved since
        logger.info(
            "environments taken over and given up",
            extra={"gained": len(kept), "lost": len(lost), "owned": len(self.adopted | kept)},
        )
        return frozenset(kept), Recovered(
            {pair: r for pair, r in recovered.decisions.items() if pair[0] in kept},
            [d for d in recovered.deploys if d.environment in kept],
        )


def latest_failed(deploys: Iterable[Deploy]) -> dict[tuple[str, str], Deploy]:
    """Of the latest deploy of each release (`deploys` oldest first), those that failed."""
    latest: dict[tuple[str, str], Deploy] = {}
    for deploy in deploys:
        latest[(deploy.environment, deploy.feature)] = deploy
    return {pair: d for pair, d in latest.items() if d.state is DeployState.FAILED}


def shared_pruning(theirs: Recovered, read_at: datetime) -> SharedPruning:
    """What other replicas' environments count against the prune budget: each uninstall at
    its latest send, and the releases their agents run that fasit deployed."""
    uninstalls: dict[UninstallKey, datetime] = {}
    for deploy in theirs.deploys:
        if deploy.action is Action.UNINSTALL:
            key = (deploy.environment, deploy.feature, deploy.release_hash)
            uninstalls[key] = max(deploy.sent_at, uninstalls.get(key, deploy.sent_at))
    running = frozenset(
        (inventory.environment, release.name)
        for inventory in theirs.inventories.values()
        for release in inventory.releases
        if release.release_hash
    )
    return SharedPruning(uninstalls, running, read_at)


def shown_of(
    stored: Mapping[str, tuple[ReleaseView, ...]],
) -> dict[tuple[str, str], tuple[Status, str, str, datetime | None]]:
    """What the waves read of the releases others own: status, desired and running version,
    and when each last finished deploying."""
    return {
        (v.environment, v.feature): (v.status, v.desired_version, v.running_version, v.deployed_at)
        for views in stored.values()
        for v in views
    }
