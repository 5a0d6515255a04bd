"""Ownership of environments among replicas: rendezvous hashing and one renewal's lease plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fasit.reconcile.ownership import (
    LEADER,
    Lease,
    LeasePlan,
    Ownership,
    Replica,
    owner_of,
    plan_leases,
    wanted_by,
)

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=15)
EARLIER = NOW - timedelta(seconds=1)
ENVIRONMENTS = [f"t{n % 7}/env-{n}" for n in range(300)]


def test_every_environment_has_exactly_one_owner_among_live_replicas() -> None:
    shares = [wanted_by(me, ENVIRONMENTS, ["a", "b", "c"]) for me in ("a", "b", "c")]

    assert sorted(e for share in shares for e in share) == sorted(ENVIRONMENTS)


def test_the_fleet_is_shared_roughly_evenly() -> None:
    shares = [len(wanted_by(me, ENVIRONMENTS, ["a", "b", "c"])) for me in ("a", "b", "c")]

    assert min(shares) >= 70, shares


def test_a_replica_leaving_moves_only_its_own_environments() -> None:
    before = {e: owner_of(e, ["a", "b", "c"]) for e in ENVIRONMENTS}
    after = {e: owner_of(e, ["a", "b"]) for e in ENVIRONMENTS}

    moved = {e for e in ENVIRONMENTS if before[e] != after[e]}
    assert moved == {e for e in ENVIRONMENTS if before[e] == "c"}


def test_a_replica_joining_takes_only_what_it_now_wins() -> None:
    before = {e: owner_of(e, ["a", "b"]) for e in ENVIRONMENTS}
    after = {e: owner_of(e, ["a", "b", "c"]) for e in ENVIRONMENTS}

    assert {e for e in ENVIRONMENTS if before[e] != after[e]} == {
        e for e in ENVIRONMENTS if after[e] == "c"
    }


def test_no_replicas_means_no_owner() -> None:
    assert owner_of("nav/dev", []) is None


def test_a_replica_counts_itself_live() -> None:
    assert wanted_by("a", ["nav/dev"], []) == {"nav/dev"}


def lease(environment: str, owner: str, expires_at: datetime = LATER) -> Lease:
    return Lease(environment, owner, expires_at)


def only(environment: str) -> list[str]:
    return [environment]


@pytest.mark.parametrize(
    ("leases", "expected"),
    [
        pytest.param({}, LeasePlan(frozenset(), frozenset(), frozenset({"nav/dev"})), id="free"),
        pytest.param(
            {"nav/dev": lease("nav/dev", "a")},
            LeasePlan(frozenset({"nav/dev"}), frozenset(), frozenset()),
            id="held-is-renewed",
        ),
        pytest.param(
            {"nav/dev": lease("nav/dev", "b")},
            LeasePlan(frozenset(), frozenset(), frozenset()),
            id="another-replicas-unexpired-lease-is-left-alone",
        ),
        pytest.param(
            {"nav/dev": lease("nav/dev", "b", EARLIER)},
            LeasePlan(frozenset(), frozenset(), frozenset({"nav/dev"})),
            id="an-expired-lease-is-claimed",
        ),
        pytest.param(
            {"nav/dev": lease("nav/dev", "a", EARLIER)},
            LeasePlan(frozenset(), frozenset(), frozenset({"nav/dev"})),
            id="its-own-expired-lease-is-claimed-again",
        ),
    ],
)
def test_a_renewal_of_an_environment_that_hashes_here(
    leases: dict[str, Lease], expected: LeasePlan
) -> None:
    assert plan_leases("a", ["nav/dev"], ["a"], leases, NOW) == expected


def test_a_lease_that_hashes_elsewhere_now_is_released() -> None:
    environment = next(e for e in ENVIRONMENTS if owner_of(e, ["a", "b"]) == "b")
    leases = {environment: lease(environment, "a")}

    plan = plan_leases("a", [environment], ["a", "b"], leases, NOW)

    assert plan == LeasePlan(frozenset(), frozenset({environment}), frozenset())


def test_a_lease_on_an_environment_no_longer_planned_is_released() -> None:
    plan = plan_leases("a", [], ["a"], {"nav/gone": lease("nav/gone", "a")}, NOW)

    assert plan.release == {"nav/gone"}


def test_ownership_lapses_at_its_validity() -> None:
    ownership = Ownership("a", frozenset({"nav/dev"}), {"nav/dev": "a"}, (), valid_until=10.0)

    assert ownership.owns("nav/dev", 9.9)
    assert not ownership.owns("nav/dev", 10.0)


def test_ownership_names_the_owners_address_and_the_leader() -> None:
    replicas = (Replica("a", "h:1", "g:1", NOW), Replica("b", "h:2", "g:2", NOW))
    ownership = Ownership("a", frozenset(), {"nav/dev": "b", LEADER: "a"}, replicas, 1.0)

    assert ownership.owner_address("nav/dev") == "g:2"
    assert ownership.owner_address("nav/prod") is None
    assert ownership.is_leader
    assert ownership.environments_of("a") == []
    assert ownership.environments_of("b") == ["nav/dev"]
