"""A replica's pass over a shared fleet: only the environments it owns are decided, it holds
its share of the fleet cap, and its circuit breaker counts the whole fleet's failures."""

from __future__ import annotations

from pathlib import Path

from fasit.agents import Action
from fasit.reconcile import Deploy, DeployState, FleetDecider, Limits, Reason, ReconcileConfig
from tests import states
from tests.unit.reconcile.support import NOW
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


def failed_deploy(fleet: Fleet, environment: str) -> Deploy:
    release = fleet.release(environment)
    return Deploy(
        f"id-{environment}",
        environment,
        "web",
        Action.INSTALL,
        release.version,
        release.release_hash or "",
        "rev",
        1,
        DeployState.FAILED,
        NOW,
        NOW,
        NOW,
        error="boom",
    )


def test_the_circuit_breaker_counts_failures_where_other_replicas_own(tmp_path: Path) -> None:
    fleet = fleet_of_six(tmp_path, cap=50)  # threshold 3
    fleet.decider.owns = lambda environment: environment in {"t/e0", "t/e1", "t/e2"}
    fleet.finished("t/e0", DeployState.FAILED, NOW)
    fleet.decider.others_failed = {
        (env, "web"): failed_deploy(fleet, env) for env in ("t/e3", "t/e4")
    }

    fleet.decide()

    (circuit,) = fleet.decider.circuits.values()
    assert [environment for environment, _ in circuit.failures] == ["t/e0", "t/e3", "t/e4"]
