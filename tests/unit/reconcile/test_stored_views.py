"""How a replica shows the environments another replica owns: from the status store's latest
decision, deploy and inventory of each release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fasit.agents import Action, ReleaseState
from fasit.reconcile import DecisionRecord, Deploy, DeployState, Reason, Recovered, Status
from fasit.reconcile.store import InventoryRecord
from fasit.reconcile.views import stored_views

AT = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def record(feature: str, reason: Reason, version: str = "1.0.0") -> DecisionRecord:
    return DecisionRecord("nav/dev", feature, reason, f"{feature}: {reason}", version, "h", "r", AT)


def deploy(feature: str, state: DeployState, at: datetime) -> Deploy:
    return Deploy(
        f"{feature}-1", "nav/dev", feature, Action.INSTALL, "1.0.0", "h", "r", 1, state, at, at, at
    )


def test_a_deployed_release_shows_its_running_version_and_when_it_deployed() -> None:
    later = AT + timedelta(seconds=5)
    running = ReleaseState("web", "web", "web", "1.0.0", "h", "deployed", 1, later)
    recovered = Recovered(
        {("nav/dev", "web"): record("web", Reason.UNCHANGED)},
        [deploy("web", DeployState.DEPLOYED, later)],
        {"nav/dev": InventoryRecord("nav/dev", later, (running,))},
    )

    (view,) = stored_views(recovered)["nav/dev"]

    assert (view.status, view.running_version, view.deployed_at, view.updated_at) == (
        Status.DEPLOYED,
        "1.0.0",
        later,
        later,
    )


def test_a_release_in_flight_shows_its_deploy_state() -> None:
    recovered = Recovered(
        {("nav/dev", "web"): record("web", Reason.IN_PROGRESS)},
        [deploy("web", DeployState.SENT, AT)],
    )

    (view,) = stored_views(recovered)["nav/dev"]

    assert (view.status, view.running_version) == (Status.SENT, "")


def test_releases_are_sorted_by_feature_within_an_environment() -> None:
    recovered = Recovered(
        {
            ("nav/dev", "web"): record("web", Reason.AGENT_OFFLINE),
            ("nav/dev", "api"): record("api", Reason.AGENT_OFFLINE),
        }
    )

    views = stored_views(recovered)["nav/dev"]

    assert [(v.feature, v.status) for v in views] == [
        ("api", Status.OFFLINE),
        ("web", Status.OFFLINE),
    ]
