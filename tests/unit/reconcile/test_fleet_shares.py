"""A replica's pass over a shared fleet: only the environments it owns are decided, it holds
its share of the fleet cap, and its circuit breaker and waves count the whole fleet, the
environments others own as the shared store shows them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from fasit.agents import Action
from fasit.reconcile import (
    Deploy,
    DeployState,
    FleetDecider,
    Limits,
    Progress,
    Reason,
    ReconcileConfig,
    Status,
)
from fasit.reconcile.waves import stored_standing
from tests import states
from tests.unit.reconcile.support import NOW
from tests.unit.reconcile.test_waves import DEV, EVERY, LAB, PROD, Fleet, fleet_state

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


def waves_fleet(tmp_path: Path) -> Fleet:
    """dev then prod (no soak); this replica owns prod only."""
    fleet = Fleet(tmp_path)
    fleet.take(fleet_state(("web", "1.0.0"), soak="0s"))
    for environment in EVERY:
        fleet.connect(environment)
    fleet.decider.owns = lambda environment: environment in PROD
    return fleet


def test_a_later_wave_waits_for_an_earlier_one_another_replica_owns(tmp_path: Path) -> None:
    fleet = waves_fleet(tmp_path)
    fleet.decider.others_shown = {
        (env, "web"): (Status.PENDING, "1.0.0", "", None) for env in (*DEV, LAB)
    }

    reasons = {pair: reason for pair, (reason, _) in fleet.decide().items()}

    assert reasons == {(env, "web"): Reason.WAITING_WAVE for env in PROD}


def test_a_later_wave_goes_once_the_other_replicas_show_the_earlier_deployed(
    tmp_path: Path,
) -> None:
    fleet = waves_fleet(tmp_path)
    fleet.decider.others_shown = {
        (env, "web"): (Status.DEPLOYED, "1.0.0", "1.0.0", NOW) for env in (*DEV, LAB)
    }

    reasons = {pair: reason for pair, (reason, _) in fleet.decide().items()}

    assert reasons == {(env, "web"): Reason.DEPLOY for env in PROD}


@pytest.mark.parametrize(
    ("shown", "progress"),
    [
        pytest.param(None, Progress.DEPLOYING, id="no-decision-yet"),
        pytest.param((Status.DEPLOYED, "0.9.0", "0.9.0", NOW), Progress.DEPLOYING, id="older"),
        pytest.param((Status.DEPLOYED, "1.0.0", "1.0.0", NOW), Progress.DEPLOYED, id="deployed"),
        pytest.param((Status.FAILED, "1.0.0", "0.9.0", None), Progress.FAILED, id="failed"),
        pytest.param((Status.OFFLINE, "1.0.0", "", None), Progress.OFFLINE, id="offline"),
        pytest.param((Status.INSTALLING, "1.0.0", "", None), Progress.DEPLOYING, id="in-flight"),
    ],
)
def test_where_another_replicas_environment_stands(
    tmp_path: Path, shown: tuple[Status, str, str, datetime | None] | None, progress: Progress
) -> None:
    fleet = waves_fleet(tmp_path)

    standing = stored_standing("nav/dev", fleet.release("nav/dev"), 0, shown)

    assert standing is not None
    assert standing.progress is progress
