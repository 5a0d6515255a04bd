"""This `fasit serve` among replicas sharing a fleet through PostgreSQL (docs/ha.md).

`Replicas` wires the lease keeper (fasit.reconcile.leases) to the rest: ownership moves go to
the reconciler (what it reconciles) and the agent hub (which sessions it ends with a
redirect); `placement` tells the hub where an agent belongs; `is_leader` gates the fleet's
once-only work (revision notifications, commit statuses). Alone on SQLite, none of this runs:
the controller has no `Replicas`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

from fasit.agents import AgentHub
from fasit.reconcile import (
    LeaseKeeper,
    Ownership,
    PostgresLeases,
    PostgresStatusStore,
    Reconciler,
    ReplicaAddress,
)

__all__ = ["Replicas"]


class Replicas:
    """Leases once `start`ed; before that, no environment is served here."""

    def __init__(self, lease_ttl: float, advertise_addr: str, advertise_http_addr: str) -> None:
        self._lease_ttl = lease_ttl
        self._advertise_addr = advertise_addr
        self._advertise_http_addr = advertise_http_addr
        self.keeper: LeaseKeeper | None = None
        self._reconciles: Callable[[str], bool] = _nothing

    def start(
        self,
        store: PostgresStatusStore,
        hub: AgentHub,
        reconciler: Reconciler,
        environments: Callable[[], Iterable[str]],
    ) -> LeaseKeeper:
        """The lease keeper (its `run()` is the caller's task); the reconciler reconciles only
        what it owns from now on."""
        grpc_addr = self._advertise_addr or hub.address
        # The address names the replica, and a nonce this process: a restarted replica is a
        # new one, whose predecessor's leases lapse first.
        me = ReplicaAddress(
            f"{grpc_addr}/{secrets.token_hex(3)}", self._advertise_http_addr, grpc_addr
        )
        keeper = self.keeper = LeaseKeeper(
            PostgresLeases(store.url, me, self._lease_ttl), environments, store.flush
        )
        reconciler.share(keeper.owns, store)
        self._reconciles = reconciler.reconciles

        def moved(ownership: Ownership) -> None:
            reconciler.own(ownership.owned, len(ownership.replicas), ownership.is_leader)
            hub.redirect_moved()

        keeper.listen(moved)
        return keeper

    def ownership(self) -> Ownership | None:
        return None if self.keeper is None else self.keeper.current

    def is_leader(self) -> bool:
        return self.keeper is not None and self.keeper.current.is_leader

    def placement(self, environment: str) -> str | None:
        """Where the environment's agent belongs: None here, else the owner's address ("" if
        none owns it, if the lease says here but has lapsed, or if it is ours but its history
        not taken back yet: its agent's results would find no instruction to answer)."""
        keeper = self.keeper
        if keeper is None:
            return ""  # starting: no lease taken yet
        if self._reconciles(environment):
            return None
        if keeper.owns(environment):
            return ""  # being taken over: the agent retries in a moment
        address = keeper.current.owner_address(environment)
        return "" if address is None or address == keeper.me.grpc_addr else address


def _nothing(environment: str) -> bool:
    return False
