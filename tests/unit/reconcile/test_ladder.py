"""shown_status: every rung of the ladder, and which wins when two hold."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fasit.agents import Action
from fasit.plan import DesiredRelease
from fasit.reconcile import Deploy, DeployState, Reason, Status, shown_status
from tests.unit.reconcile.support import flight

HASH = "sha256:desired"


@pytest.fixture
def deploy(releases: dict[str, DesiredRelease]) -> Deploy:
    return flight(releases["api"], DeployState.DEPLOYED, release_hash=HASH)


def test_disabled_wins_over_an_instruction_in_flight(deploy: Deploy) -> None:
    installing = replace(deploy, state=DeployState.INSTALLING)

    assert shown_status(Reason.DISABLED, installing, HASH) is Status.DISABLED


def test_kind_mismatch_wins_over_an_instruction_in_flight(deploy: Deploy) -> None:
    installing = replace(deploy, state=DeployState.INSTALLING)

    assert shown_status(Reason.KIND_MISMATCH, installing, HASH) is Status.KIND_MISMATCH


@pytest.mark.parametrize(
    ("state", "action", "status"),
    [
        (DeployState.SENT, Action.INSTALL, Status.SENT),
        (DeployState.INSTALLING, Action.INSTALL, Status.INSTALLING),
        (DeployState.UNINSTALLING, Action.UNINSTALL, Status.UNINSTALLING),
    ],
)
def test_an_instruction_in_flight_is_shown_over_a_blocking_decision(
    deploy: Deploy, state: DeployState, action: Action, status: Status
) -> None:
    in_flight = replace(deploy, state=state, action=action)

    assert shown_status(Reason.MISSING_CONFIG, in_flight, HASH) is status


def test_an_acknowledged_deploy_over_a_running_version_is_upgrading(deploy: Deploy) -> None:
    upgrading = replace(deploy, state=DeployState.INSTALLING, from_version="1.9.0")

    assert shown_status(Reason.IN_PROGRESS, upgrading, HASH) is Status.UPGRADING


def test_an_acknowledged_deploy_where_nothing_runs_is_installing(deploy: Deploy) -> None:
    installing = replace(deploy, state=DeployState.INSTALLING, from_version="")

    assert shown_status(Reason.IN_PROGRESS, installing, HASH) is Status.INSTALLING


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        (Reason.MISSING_DEPENDENCY, Status.MISSING_DEPENDENCY),
        (Reason.CHART_UNAVAILABLE, Status.CHART_UNAVAILABLE),
        (Reason.RENDER_ERROR, Status.RENDER_ERROR),
        (Reason.MISSING_CONFIG, Status.MISSING_CONFIG),
        (Reason.AGENT_OFFLINE, Status.OFFLINE),
        (Reason.PRUNE_REFUSED, Status.PRUNE_REFUSED),
    ],
)
def test_a_blocking_decision_is_shown_even_over_an_earlier_deploy(
    deploy: Deploy, reason: Reason, status: Status
) -> None:
    assert shown_status(reason, deploy, HASH) is status


def test_offline_wins_over_a_failed_deploy(deploy: Deploy) -> None:
    failed = replace(deploy, state=DeployState.FAILED)

    assert shown_status(Reason.AGENT_OFFLINE, failed, HASH) is Status.OFFLINE


@pytest.mark.parametrize("reason", [Reason.BACKOFF, Reason.CIRCUIT_OPEN, Reason.DEPLOY])
def test_a_failed_deploy_of_the_current_hash_is_failed(deploy: Deploy, reason: Reason) -> None:
    failed = replace(deploy, state=DeployState.FAILED)

    assert shown_status(reason, failed, HASH) is Status.FAILED


def test_a_failed_deploy_of_another_hash_is_history(deploy: Deploy) -> None:
    failed = replace(deploy, state=DeployState.FAILED, release_hash="sha256:before")

    assert shown_status(Reason.DEPLOY, failed, HASH) is Status.PENDING


def test_unchanged_is_deployed(deploy: Deploy) -> None:
    assert shown_status(Reason.UNCHANGED, deploy, HASH) is Status.DEPLOYED


def test_unchanged_with_no_deploy_on_record_is_deployed() -> None:
    assert shown_status(Reason.UNCHANGED, None, HASH) is Status.DEPLOYED


@pytest.mark.parametrize("reason", [Reason.ORPHAN, Reason.PROTECTED, Reason.UNINSTALL])
def test_an_orphan_is_orphan_until_its_uninstall_is_in_flight(reason: Reason) -> None:
    assert shown_status(reason, None, HASH) is Status.ORPHAN


def test_a_refused_uninstall_is_prune_refused_for_people_to_act_on() -> None:
    assert shown_status(Reason.PRUNE_REFUSED, None, HASH) is Status.PRUNE_REFUSED


def test_a_failed_uninstall_of_an_orphan_is_failed(deploy: Deploy) -> None:
    failed = replace(deploy, state=DeployState.FAILED, action=Action.UNINSTALL)

    assert shown_status(Reason.BACKOFF, failed, HASH) is Status.FAILED


@pytest.mark.parametrize(
    "reason",
    [Reason.DEPLOY, Reason.WAITING_DEPENDENCY, Reason.QUEUED, Reason.CIRCUIT_OPEN, None],
)
def test_anything_else_desired_is_pending(reason: Reason | None) -> None:
    assert shown_status(reason, None, HASH) is Status.PENDING
