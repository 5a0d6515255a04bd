"""Who owns which environment when replicas share a fleet: pure decisions over leases.

Each environment goes to the live replica that ranks highest for it (rendezvous hashing:
sha256 of replica id and environment), so a replica coming or going moves only its own share.
`plan_leases` says what one replica does with the lease table in one renewal (renew, release,
claim); the SQL in leases.py carries it out, claims by compare-and-set. `Ownership` is what a
renewal leaves a replica knowing. Nothing here touches a database or a clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

__all__ = [
    "LEADER",
    "Lease",
    "LeasePlan",
    "Ownership",
    "Replica",
    "owner_of",
    "plan_leases",
    "wanted_by",
]

LEADER: Final = "(fleet)"
"""The lease that makes its owner the elected replica (fleet-wide work that runs once); never
an environment id (those are tenant/name)."""


@dataclass(frozen=True, slots=True)
class Replica:
    """One `fasit serve` as the replicas table records it."""

    id: str
    http_addr: str
    """host:port of its web app and API."""
    grpc_addr: str
    """host:port agents dial (its --advertise-addr)."""
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class Lease:
    environment: str
    owner: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LeasePlan:
    """What one replica does in one renewal."""

    renew: frozenset[str]
    """Its unexpired leases it still wants: extended."""
    release: frozenset[str]
    """Its leases (expired or not) that hash elsewhere now, or name no environment: deleted."""
    claim: frozenset[str]
    """Environments it wants whose lease is free or expired: taken if still so."""


def _rank(replica: str, environment: str) -> bytes:
    return hashlib.sha256(f"{replica}\0{environment}".encode()).digest()[:8]


def owner_of(environment: str, replicas: Collection[str]) -> str | None:
    """The replica that should own `environment` among `replicas` (None if there are none).

    >>> owner_of("nav/prod", ["a"])
    'a'
    """
    return max(replicas, key=lambda replica: _rank(replica, environment), default=None)


def wanted_by(me: str, environments: Iterable[str], live: Collection[str]) -> frozenset[str]:
    """The environments that hash to `me` among the `live` replicas (`me` counts as live)."""
    replicas = set(live) | {me}
    return frozenset(e for e in environments if owner_of(e, replicas) == me)


def plan_leases(
    me: str,
    environments: Iterable[str],
    live: Collection[str],
    leases: Mapping[str, Lease],
    now: datetime,
) -> LeasePlan:
    """The renewal of `me`, given the live replicas and the lease table as read at `now`.

    A lease another replica holds unexpired is never claimed, even when it hashes here: its
    owner releases it at its next renewal, and this replica claims it at the one after.
    """
    wanted = wanted_by(me, environments, live)
    mine = {name for name, lease in leases.items() if lease.owner == me}
    held = {name for name in mine if leases[name].expires_at > now}
    free = {
        name
        for name in wanted
        if (lease := leases.get(name)) is None or lease.expires_at <= now or lease.owner == me
    }
    return LeasePlan(
        renew=frozenset(held & wanted),
        release=frozenset(mine - wanted),
        claim=frozenset(free - held),
    )


@dataclass(frozen=True, slots=True)
class Ownership:
    """What a replica knows after a renewal: its leases, every owner, the live replicas."""

    me: str
    owned: frozenset[str] = frozenset()
    """Environments this replica owns (and may reconcile) until `valid_until`."""
    owners: Mapping[str, str] = field(default_factory=dict)
    """Every unexpired lease: environment → owner id."""
    replicas: tuple[Replica, ...] = ()
    """The live replicas, by id."""
    valid_until: float = 0.0
    """Monotonic seconds after which `owned` may be someone else's: the renewal's start plus
    the lease time, never later than the database's own expiry."""

    @property
    def is_leader(self) -> bool:
        return self.owners.get(LEADER) == self.me

    def owns(self, environment: str, now: float) -> bool:
        return environment in self.owned and now < self.valid_until

    def replica(self, replica_id: str) -> Replica | None:
        return next((r for r in self.replicas if r.id == replica_id), None)

    def owner_address(self, environment: str) -> str | None:
        """The agent address of the environment's owner; None when nobody owns it now."""
        owner = self.owners.get(environment)
        found = None if owner is None else self.replica(owner)
        return None if found is None else found.grpc_addr

    def environments_of(self, replica_id: str) -> list[str]:
        """The environments `replica_id` holds a lease on, sorted (the leader lease aside)."""
        return sorted(e for e, owner in self.owners.items() if owner == replica_id and e != LEADER)
