"""A controller restart with instructions in flight: nothing deployed twice, no log lost."""

from __future__ import annotations

from pathlib import Path

from fasit.reconcile import DeployState
from tests.integration.reconcile.conftest import QUIET
from tests.integration.reconcile.support import Fleet, Gated, basic_state
from tests.integration.waiting import eventually

ENVIRONMENTS = ("nav/dev", "nav/prod")


async def test_a_restart_with_instructions_in_flight_deploys_each_release_once_with_all_logs(
    tmp_path: Path,
) -> None:
    fleet = Fleet(tmp_path, reconcile=QUIET)
    await fleet.start()
    try:
        gated = {environment: Gated(environment) for environment in ENVIRONMENTS}
        for environment, executor in gated.items():
            fleet.connect(environment, executor)
        fleet.publish(*basic_state())
        for environment in ENVIRONMENTS:
            await fleet.until_status(environment, "web", "INSTALLING")

        await fleet.stop()
        for executor in gated.values():
            executor.gate.set()  # the work finishes while no controller listens
        await eventually(
            lambda: all(not agent.connected for agent, _ in fleet.agents.values()),
            "the agents noticed the controller is gone",
        )
        await fleet.start()

        for environment in ENVIRONMENTS:
            await fleet.until_status(environment, "web", "DEPLOYED")
        fleet.running.wake()
        await fleet.until_decided("nav/dev", "web", lambda d: d.reason.value == "unchanged")
        for environment, executor in gated.items():
            assert len(executor.runs) == 1, environment
            deploys = await fleet.deploys(environment, "web")
            assert [d.state for d in deploys] == [
                DeployState.SENT,
                DeployState.INSTALLING,
                DeployState.DEPLOYED,
            ]
            lines = await fleet.logs(deploys[0].instruction_id)
            assert lines[0] == "waiting at the gate: web"  # written before the stop
            assert lines[-1] == "(fake) resources of web are ready"  # written while it was down
    finally:
        await fleet.close()
