"""A replica's pass over a shared fleet: only the environments it owns are decided, and it
holds its share of the fleet cap."""

from __future__ import annotations

from pathlib import Path

from fasit.reconcile import FleetDecider, Limits, Reason, ReconcileConfig
from tests import states
from tests.unit.reconcile.test_waves import Fleet

ENVIRONMENTS = [("t", f"e{n}") for n in range(6)]


def fleet_of_six(tmp_path: Path, cap: int) -> Fleet:
    fleet = Fleet(tmp_path, FleetDecider(ReconcileConfig(limits=Limits(fleet=cap))))
    fleet.take(
        states.state(
            *(states.environment(tenant, name) for tenant, name in ENVIRONMENTS),
            states.feature("web"),
            states.chart("web", "1.0.0"),
            states.assignment("web", "1.0.0", {}),
        )
    )
    for tenant, name in ENVIRONMENTS:
        fleet.connect(f"{tenant}/{name}")
    return fleet


def test_only_owned_environments_are_decided(tmp_path: Path) -> None:
    fleet = fleet_of_six(tmp_path, cap=50)
    fleet.decider.owns = lambda environment: environment in {"t/e0", "t/e1"}

    assert sorted(fleet.decide()) == [("t/e0", "web"), ("t/e1", "web")]


def test_each_replica_holds_its_share_of_the_fleet_cap_rounded_up(tmp_path: Path) -> None:
    fleet = fleet_of_six(tmp_path, cap=4)
    fleet.decider.replicas = 3  # 4 / 3: two each

    reasons = [reason for reason, _ in fleet.decide().values()]

    assert reasons.count(Reason.DEPLOY) == 2
    assert reasons.count(Reason.QUEUED) == 4
