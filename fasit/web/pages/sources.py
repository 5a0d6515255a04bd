"""What every page reads: the read side as the viewer may see it, and the fleet summary made
from it. `Scopes` keeps one `Sources` per tenant set (see `fasit.web.scoped`)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field

from fasit.state import Snapshot
from fasit.web.read import ReadSide, ReleaseIndex
from fasit.web.scoped import ScopedFleet, scoped_read
from fasit.web.summary import Summaries
from fasit.web.viewer import OPEN, Viewer

__all__ = ["MAX_SCOPES", "Scopes", "Sources"]

MAX_SCOPES = 64
"""Tenant sets whose scoped views are kept at once (the least recently used one goes)."""


@dataclass(slots=True)
class Sources:
    read: ReadSide
    viewer: Viewer = OPEN
    scoped_fleet: ScopedFleet | None = None
    """The fleet a tenant viewer sees (None: the whole fleet)."""
    summaries: Summaries = field(init=False)
    index: ReleaseIndex = field(init=False)
    """The viewer's releases by (environment, feature), for progress questions."""

    def __post_init__(self) -> None:
        self.summaries = Summaries(self.read)
        self.index = ReleaseIndex(self.read.fleet)

    def snapshot(self) -> Snapshot | None:
        """The snapshot of the latest plan (what statuses and explanations are about)."""
        planned = self.read.planned()
        return None if planned is None else planned[0]

    def sees(self, environment: str) -> bool:
        return self.viewer.sees(environment)

    def shown_state(self) -> Hashable:
        """What this viewer's pages show moves only when this does (live notices compare it)."""
        store = self.read.store
        freshness = store.freshness
        served = "" if store.current is None else store.current.revision.id
        newest = "" if freshness.newest is None else freshness.newest.id
        if self.scoped_fleet is None:
            return (self.read.fleet.generation, served, newest, freshness.reason)
        # Not the served revision's id: another tenant's commit changes it, and a notice must
        # not tell of that; the newest revision this viewer may see stands for it.
        history = store.history
        seen = "" if not history else history[0].revision.id
        agents = self.read.agents_connected()
        return (self.scoped_fleet.fingerprint(), agents, seen, freshness.reason)


class Scopes:
    """The `Sources` of each viewer: the whole read side for fleet admins (and with no
    authentication), a scoped one per tenant set otherwise, made once and kept (bounded)."""

    def __init__(self, read: ReadSide) -> None:
        self.read = read
        self._every = Sources(read)
        self._scoped: OrderedDict[frozenset[str], Sources] = OrderedDict()

    def of(self, viewer: Viewer) -> Sources:
        tenants = viewer.tenants
        if tenants is None:
            return self._every
        sources = self._scoped.get(tenants)
        if sources is None:
            read, fleet = scoped_read(self.read, tenants)
            sources = self._scoped[tenants] = Sources(read, Viewer("", tenants), fleet)
            while len(self._scoped) > MAX_SCOPES:
                self._scoped.popitem(last=False)
        self._scoped.move_to_end(tenants)
        return sources
