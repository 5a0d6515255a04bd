"""An agent cannot write onto another environment's release log (the store, the release page)."""

from __future__ import annotations

from pathlib import Path

from fasit.reconcile import DeployState
from fasit_proto.agent.v1 import agent_pb2 as pb
from tests.integration.agents.support import RawSession, hello
from tests.integration.reconcile.conftest import QUIET
from tests.integration.reconcile.support import Fleet, Gated, basic_state, token
from tests.integration.waiting import eventually


async def test_progress_and_result_for_another_environments_instruction_are_not_stored(
    tmp_path: Path,
) -> None:
    fleet = Fleet(tmp_path, reconcile=QUIET)
    await fleet.start()
    intruder = None
    try:
        gated = Gated("nav/prod")
        fleet.connect("nav/prod", gated)
        fleet.publish(*basic_state())
        await fleet.until_status("nav/prod", "web", "INSTALLING")
        sent = (await fleet.deploys("nav/prod", "web"))[0]
        assert fleet.hub is not None
        hub = fleet.hub
        intruder = RawSession(hub.address, token=token("nav/dev"), first=hello("nav/dev"))
        await intruder.receive()
        line = pb.LogLine(time_unix_ms=1_700_000_000_000, text="written by nav/dev")
        intruder.send(
            pb.AgentMessage(progress=pb.Progress(instruction_id=sent.instruction_id, lines=[line]))
        )
        failed = pb.Result(
            instruction_id=sent.instruction_id,
            outcome=pb.OUTCOME_FAILED,
            error="written by nav/dev",
            finished_unix_ms=1_700_000_000_000,
        )
        intruder.send(pb.AgentMessage(result=failed))
        await eventually(lambda: sum(hub.dropped().values()) == 2, "both messages dropped")

        gated.gate.set()
        await fleet.until_status("nav/prod", "web", "DEPLOYED")
        deploys = await fleet.deploys("nav/prod", "web")
        assert [d.state for d in deploys] == [
            DeployState.SENT,
            DeployState.INSTALLING,
            DeployState.DEPLOYED,
        ]
        assert "written by nav/dev" not in await fleet.logs(sent.instruction_id)
    finally:
        if intruder is not None:
            await intruder.close()
        await fleet.close()
