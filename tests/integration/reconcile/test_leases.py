"""Leases on a real PostgreSQL: replicas divide the environments, never both own one, and a
replica that stops renewing loses its share to the others within the lease time."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest

from fasit.reconcile.leases import LeaseKeeper, PostgresLeases, ReplicaAddress
from fasit.reconcile.ownership import LEADER

ENVIRONMENTS = [f"t{n % 3}/env-{n}" for n in range(60)]


_opened: list[PostgresLeases] = []


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    while _opened:
        _opened.pop().close()


def replica(url: str, name: str, ttl: float = 15.0) -> PostgresLeases:
    leases = PostgresLeases(url, ReplicaAddress(name, f"{name}:8080", f"{name}:9090"), ttl)
    _opened.append(leases)
    return leases


def renew(leases: PostgresLeases) -> frozenset[str]:
    ownership, releasing = leases.renew(ENVIRONMENTS, time.monotonic())
    leases.release(releasing)
    return ownership.owned


def settle(replicas: list[PostgresLeases], rounds: int = 3) -> list[frozenset[str]]:
    owned: list[frozenset[str]] = []
    for _ in range(rounds):
        owned = [renew(r) for r in replicas]
    return owned


def test_one_replica_owns_every_environment(postgres_url: str) -> None:
    alone = replica(postgres_url, "a")

    assert renew(alone) == set(ENVIRONMENTS)
    assert alone.renew(ENVIRONMENTS, time.monotonic())[0].is_leader


def test_three_replicas_divide_the_environments_without_overlap(postgres_url: str) -> None:
    replicas = [replica(postgres_url, name) for name in "abc"]

    owned = settle(replicas)

    assert sorted(e for share in owned for e in share) == sorted(ENVIRONMENTS)
    assert all(share for share in owned)


def test_a_joining_replica_waits_for_the_owner_to_release(postgres_url: str) -> None:
    first, second = replica(postgres_url, "a"), replica(postgres_url, "b")
    renew(first)

    assert renew(second) == set()  # a holds them all, unexpired: nothing to claim yet
    renew(first)  # sees b, releases b's share
    taken = renew(second)

    assert taken
    assert taken.isdisjoint(renew(first))


def test_a_replica_that_stops_renewing_loses_its_share_after_the_lease_time(
    postgres_url: str,
) -> None:
    a, b = replica(postgres_url, "a", ttl=1.0), replica(postgres_url, "b", ttl=1.0)
    settle([a, b])

    time.sleep(1.2)  # b stops renewing
    owned = renew(a)

    assert owned == set(ENVIRONMENTS)


def test_a_lease_held_by_another_is_never_taken_by_compare_and_set(postgres_url: str) -> None:
    a = replica(postgres_url, "a")
    renew(a)
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        # b sees only itself alive (a's row gone), so it wants everything: the upsert refuses.
        connection.execute("DELETE FROM replicas WHERE id = 'a'")
        b = replica(postgres_url, "b")
        assert renew(b) == set()
        owners = connection.execute(
            "SELECT DISTINCT owner FROM leases WHERE environment <> %s", (LEADER,)
        ).fetchall()
    assert owners == [("a",)]


def test_the_replicas_table_lists_each_replica_with_its_addresses(postgres_url: str) -> None:
    a, b = replica(postgres_url, "a"), replica(postgres_url, "b")
    settle([a, b])

    ownership, _ = a.renew(ENVIRONMENTS, time.monotonic())

    assert [(r.id, r.http_addr, r.grpc_addr) for r in ownership.replicas] == [
        ("a", "a:8080", "a:9090"),
        ("b", "b:8080", "b:9090"),
    ]
    assert ownership.environments_of("a") == sorted(ownership.owned)
    assert ownership.owner_address(sorted(ownership.owned)[0]) == "a:9090"


async def test_the_keeper_tells_listeners_and_flushes_before_it_releases(postgres_url: str) -> None:
    seen: list[int] = []
    flushed: list[bool] = []

    async def flush() -> None:
        flushed.append(True)

    a = LeaseKeeper(replica(postgres_url, "a"), lambda: ENVIRONMENTS, flush)
    a.listen(lambda ownership: seen.append(len(ownership.owned)))
    await a.renew_once()
    renew(replica(postgres_url, "b"))  # b is seen alive
    await a.renew_once()

    assert seen[0] == len(ENVIRONMENTS)
    assert 0 < seen[1] < len(ENVIRONMENTS)
    assert flushed == [True]
    assert a.owns(sorted(a.current.owned)[0])
