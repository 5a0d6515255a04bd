"""A reconciler over real hub sessions and fake agents: what is sent, when, and what it shows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fasit.backoff import Backoff
from fasit.reconcile import DeployState, Reason
from naisd import FakeExecutor
from tests import states
from tests.integration.reconcile.conftest import QUIET
from tests.integration.reconcile.support import Fleet, Gated, basic_state, runs
from tests.integration.waiting import eventually


async def test_a_desired_release_is_deployed_and_shown_deployed(fleet: Fleet) -> None:
    executor = fleet.connect("nav/dev")
    fleet.publish(*basic_state())

    await fleet.until_status("nav/dev", "web", "DEPLOYED")

    assert len(runs(executor)) == 1
    deploys = await fleet.deploys("nav/dev", "web")
    assert [d.state for d in deploys] == [
        DeployState.SENT,
        DeployState.INSTALLING,
        DeployState.DEPLOYED,
    ]


async def test_an_environment_without_an_agent_is_offline_and_catches_up_when_one_connects(
    fleet: Fleet,
) -> None:
    fleet.publish(*basic_state())
    await fleet.until_status("nav/prod", "web", "OFFLINE")

    executor = fleet.connect("nav/prod")

    await fleet.until_status("nav/prod", "web", "DEPLOYED")
    assert len(runs(executor)) == 1


async def test_no_new_deploy_while_one_is_in_flight(fleet: Fleet) -> None:
    gated = Gated("nav/dev")
    fleet.connect("nav/dev", gated)
    fleet.publish(*basic_state())
    await gated.started.wait()

    fleet.publish(*basic_state(version="2.0.0"))
    await fleet.until_decided("nav/dev", "web", lambda d: d.version == "2.0.0")
    decision = fleet.decision("nav/dev", "web")

    assert decision is not None
    assert decision.reason is Reason.IN_PROGRESS
    assert decision.message.startswith("deploy of 1.0.0 in flight")
    assert len(gated.runs) == 1
    gated.gate.set()
    await eventually(lambda: len(gated.runs) == 2, "2.0.0 sent once 1.0.0 finished")
    await fleet.until_status("nav/dev", "web", "DEPLOYED")


async def test_a_dependent_is_sent_as_soon_as_its_dependency_reports_deployed(
    fleet: Fleet,
) -> None:
    gated = Gated("nav/dev")
    fleet.connect("nav/dev", gated)
    fleet.publish(
        states.environment("nav", "dev"),
        states.feature("crds"),
        states.feature("monitoring"),
        states.chart("crds", "1.0.0"),
        states.chart("monitoring", "1.0.0", dependencies=[{"allOf": ["crds"]}]),
        states.assignment("crds", "1.0.0", {}),
        states.assignment("monitoring", "1.0.0", {}),
    )
    await gated.started.wait()
    await fleet.until_decided(
        "nav/dev", "monitoring", lambda d: d.reason is Reason.WAITING_DEPENDENCY
    )

    gated.gate.set()  # no timer: the interval is an hour, the result itself wakes the pass
    await fleet.until_status("nav/dev", "monitoring", "DEPLOYED")
    assert gated.releases == ["crds", "monitoring"]


def _failing(environment: str) -> FakeExecutor:
    return FakeExecutor(environment, failing=True, delay=(0, 0))


def _with_redeploy(token: str) -> list[dict[str, str]]:
    return [
        states.environment("nav", "dev"),
        states.environment("nav", "prod"),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.assignment("web", "1.0.0", {}, redeploy=token),
    ]


async def test_a_failing_release_is_retried_with_new_attempts_until_max_attempts(
    tmp_path: Path,
) -> None:
    retry = Backoff(initial=0.05, maximum=0.2, jitter=0.0, attempts=3)
    fleet = Fleet(tmp_path, reconcile=replace(QUIET, retry=retry))
    await fleet.start()
    try:
        executor = fleet.connect("nav/dev", _failing("nav/dev"))
        fleet.publish(*basic_state())

        await fleet.until_decided("nav/dev", "web", lambda d: "gave up" in d.message)

        assert len(set(runs(executor))) == 3  # three attempts, three ids
        deploys = await fleet.deploys("nav/dev", "web")
        assert [d.attempt for d in deploys if d.state is DeployState.FAILED] == [1, 2, 3]
    finally:
        await fleet.close()
