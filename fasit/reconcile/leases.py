"""Leases in PostgreSQL: replicas that share a database divide its environments.

Two tables beside the status store's: `replicas(id, http_addr, grpc_addr, last_seen)`, where
each replica says it is alive at every renewal, and `leases(environment, owner, expires_at)`.
A renewal (one transaction, times from the database's clock) marks this replica seen, reads
the live replicas and the leases, and carries out ownership.py's plan: renew what it holds and
wants, claim what it wants that is free or expired (compare-and-set: an upsert that changes a
row only while its lease is expired or already this replica's, so two replicas never hold one
environment), and report every unexpired lease. Releasing is a second statement, run after the
caller has stopped using the environments (`LeaseKeeper` flushes the status store first).

`LeaseKeeper` renews every `ttl / 3` seconds on a thread and tells listeners when ownership
changes; a replica that cannot renew loses its environments locally when its lease time is up,
before any other replica may claim them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

import psycopg

from fasit.reconcile.ownership import LEADER, Lease, Ownership, Replica, plan_leases

__all__ = ["LeaseKeeper", "PostgresLeases", "ReplicaAddress"]

logger = logging.getLogger(__name__)

# Another constant than the status store's migration lock ("fasit"): "lease".
_SCHEMA_LOCK: Final = 0x6C65617365
_CONNECT_TIMEOUT: Final = 10
_FORGOTTEN_AFTER: Final = 20
"""Replicas unseen, and leases expired, for this many lease times are deleted."""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS replicas (
    id TEXT PRIMARY KEY, http_addr TEXT NOT NULL, grpc_addr TEXT NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS leases (
    environment TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class ReplicaAddress:
    """This replica as others see it."""

    id: str
    http_addr: str
    grpc_addr: str


class PostgresLeases:
    """The lease tables over one connection; every method blocks (run it on a thread)."""

    def __init__(self, url: str, me: ReplicaAddress, ttl: float) -> None:
        if ttl <= 0:
            raise ValueError(f"the lease time must be positive, got {ttl}")
        self._url = url
        self.me = me
        self.ttl = ttl
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def _connected(self) -> psycopg.Connection[tuple[object, ...]]:
        connection = self._connection
        if connection is None or connection.closed or connection.broken:
            connection = psycopg.connect(
                self._url,
                autocommit=True,
                connect_timeout=_CONNECT_TIMEOUT,
                application_name="fasit-leases",
            )
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                connection.execute(_SCHEMA)
            self._connection = connection
        return connection

    def renew(
        self, environments: Iterable[str], started: float
    ) -> tuple[Ownership, frozenset[str]]:
        """One renewal begun at monotonic `started`: the ownership, and the environments this
        replica should release (it still holds them; `release` lets them go)."""
        me = self.me
        ttl = timedelta(seconds=self.ttl)
        connection = self._connected()
        with connection.transaction():
            now = _timestamp(connection.execute("SELECT clock_timestamp()").fetchone())
            connection.execute(
                "INSERT INTO replicas (id, http_addr, grpc_addr, last_seen) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
                "http_addr = excluded.http_addr, grpc_addr = excluded.grpc_addr, "
                "last_seen = excluded.last_seen",
                (me.id, me.http_addr, me.grpc_addr, now),
            )
            forgotten = now - ttl * _FORGOTTEN_AFTER
            connection.execute("DELETE FROM replicas WHERE last_seen < %s", (forgotten,))
            # Leases of environments nobody plans any more, their holder long gone.
            connection.execute("DELETE FROM leases WHERE expires_at < %s", (forgotten,))
            live = tuple(
                Replica(str(id_), str(http), str(grpc), _timestamp((seen,)))
                for id_, http, grpc, seen in connection.execute(
                    "SELECT id, http_addr, grpc_addr, last_seen FROM replicas "
                    "WHERE last_seen > %s ORDER BY id",
                    (now - ttl,),
                )
            )
            leases = {
                str(environment): Lease(str(environment), str(owner), _timestamp((expires,)))
                for environment, owner, expires in connection.execute(
                    "SELECT environment, owner, expires_at FROM leases"
                )
            }
            plan = plan_leases(me.id, [*environments, LEADER], [r.id for r in live], leases, now)
            expires = now + ttl
            if plan.renew:
                connection.execute(
                    "UPDATE leases SET expires_at = %s WHERE owner = %s AND environment = ANY(%s)",
                    (expires, me.id, sorted(plan.renew)),
                )
            if plan.claim:
                connection.execute(
                    "INSERT INTO leases (environment, owner, expires_at) "
                    "SELECT unnest(%s::text[]), %s, %s ON CONFLICT (environment) DO UPDATE SET "
                    "owner = excluded.owner, expires_at = excluded.expires_at "
                    "WHERE leases.expires_at <= %s OR leases.owner = excluded.owner",
                    (sorted(plan.claim), me.id, expires, now),
                )
            owners = {
                str(environment): str(owner)
                for environment, owner in connection.execute(
                    "SELECT environment, owner FROM leases WHERE expires_at > %s", (now,)
                )
            }
        owned = frozenset(
            e
            for e, owner in owners.items()
            if owner == me.id and e not in plan.release and e != LEADER
        )
        ownership = Ownership(me.id, owned, owners, live, started + self.ttl)
        return ownership, plan.release & frozenset(e for e, o in owners.items() if o == me.id)

    def release(self, environments: Iterable[str]) -> None:
        """Let other replicas claim `environments` at once (this replica's leases only)."""
        names = sorted(environments)
        if names:
            self._connected().execute(
                "DELETE FROM leases WHERE owner = %s AND environment = ANY(%s)",
                (self.me.id, names),
            )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()


def _timestamp(row: tuple[object, ...] | None) -> datetime:
    value = None if row is None else row[0]
    if not isinstance(value, datetime):
        raise TypeError(f"expected a timestamp from the database, got {value!r}")
    return value


Listener = Callable[[Ownership], None]


class LeaseKeeper:
    """Renews this replica's leases until `stop()`; `current` is what it owns now."""

    def __init__(
        self,
        leases: PostgresLeases,
        environments: Callable[[], Iterable[str]],
        before_release: Callable[[], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._leases = leases
        self._environments = environments
        self._before_release = before_release
        self._clock = clock
        self.current = Ownership(leases.me.id)
        self._listeners: list[Listener] = []
        self._failing = False
        self.every = leases.ttl / 3
        """Seconds between renewals: a third of the lease time, so two may fail in a row."""

    @property
    def me(self) -> ReplicaAddress:
        return self._leases.me

    def listen(self, listener: Listener) -> None:
        """Call `listener` with the new ownership whenever what this replica owns changes."""
        self._listeners.append(listener)

    def owns(self, environment: str) -> bool:
        return self.current.owns(environment, self._clock())

    async def run(self) -> None:
        try:
            while True:
                await self.renew_once()
                await asyncio.sleep(self.every)
        finally:
            await self.close()

    async def close(self) -> None:
        """Close the connection the leases are kept on (`run()` does when it ends)."""
        await asyncio.to_thread(self._leases.close)

    async def renew_once(self) -> None:
        started = self._clock()
        environments = sorted(self._environments())
        try:
            ownership, releasing = await asyncio.to_thread(
                self._leases.renew, environments, started
            )
        except psycopg.Error as exc:
            if not self._failing:
                logger.error(
                    "leases cannot be renewed; environments lapse at their lease time: %s",
                    str(exc).strip().splitlines()[0] if str(exc).strip() else exc,
                )
            self._failing = True
            if self.current.owned and self._clock() >= self.current.valid_until:
                self._set(replace(self.current, owned=frozenset()))
            return
        if self._failing:
            logger.info("leases renewed again")
            self._failing = False
        self._set(ownership)
        if releasing:
            if self._before_release is not None:
                await self._before_release()  # what the old owner wrote is there for the new
            await asyncio.to_thread(self._leases.release, releasing)
            logger.info("environments released", extra={"environments": len(releasing)})

    def _set(self, ownership: Ownership) -> None:
        before = self.current
        self.current = ownership
        if (
            ownership.owned != before.owned
            or ownership.is_leader != before.is_leader
            or [r.id for r in ownership.replicas] != [r.id for r in before.replicas]
        ):
            logger.info(
                "ownership changed",
                extra={
                    "replica": ownership.me,
                    "owned": len(ownership.owned),
                    "leader": ownership.is_leader,
                },
            )
            for listener in self._listeners:
                listener(ownership)
