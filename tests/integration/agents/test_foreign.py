"""An agent writes only onto its own environment's instructions, and a bounded amount of them.

Before, acks, progress and results were passed on under whatever id the sender chose: acme/dev's
agent could write lines onto nav/prod's release pages (here nav/dev plays acme/dev), progress
for ids never sent was kept forever, and lines had any length. Each test ends with a heartbeat
of the sender: events keep arrival order, so once it is seen, anything the hub would have passed
on is seen too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fasit.agents import AgentHub, HeartbeatReceived, ProgressReported
from fasit.agents.session import MAX_LINES_PER_INSTRUCTION
from fasit.agents.wire import MAX_LINE_BYTES, TRUNCATED
from fasit_proto.agent.v1 import agent_pb2 as pb
from tests.integration.agents.conftest import TOKENS
from tests.integration.agents.support import EventLog, RawSession, hello, make_instruction


@pytest.fixture
async def sessions(hub: AgentHub) -> AsyncIterator[dict[str, RawSession]]:
    """Raw sessions of nav/prod and nav/dev, past their Welcome."""
    opened = {env: RawSession(hub.address, token=TOKENS[env], first=hello(env)) for env in TOKENS}
    try:
        for session in opened.values():
            await session.receive()
        yield opened
    finally:
        for session in opened.values():
            await session.close()


def _progress(identifier: str, *texts: str) -> pb.AgentMessage:
    lines = [pb.LogLine(time_unix_ms=1_700_000_000_000, text=text) for text in texts]
    return pb.AgentMessage(progress=pb.Progress(instruction_id=identifier, lines=lines))


def _result(identifier: str) -> pb.AgentMessage:
    result = pb.Result(
        instruction_id=identifier, outcome=pb.OUTCOME_DEPLOYED, finished_unix_ms=1_700_000_000_000
    )
    return pb.AgentMessage(result=result)


async def _settled(events: EventLog, session: RawSession, environment: str) -> None:
    """Wait until everything `session` sent before now has been handled by the hub."""
    before = len(events.of(HeartbeatReceived, environment))
    session.send(pb.AgentMessage(heartbeat=pb.Heartbeat()))
    await events.wait_for(
        HeartbeatReceived,
        "the heartbeat",
        lambda e: len(events.of(HeartbeatReceived, environment)) > before,
    )


async def test_progress_and_result_for_another_environments_instruction_are_dropped(
    hub: AgentHub, events: EventLog, sessions: dict[str, RawSession]
) -> None:
    instruction = make_instruction(environment="nav/prod")
    await hub.send("nav/prod", instruction)
    intruder = sessions["nav/dev"]
    intruder.send(_progress(instruction.id, "written by nav/dev"))
    intruder.send(_result(instruction.id))
    await _settled(events, intruder, "nav/dev")
    assert [e for e in events.of(ProgressReported) if e.instruction_id == instruction.id] == []
    assert events.results(instruction.id) == []
    assert hub.dropped()[("progress", "not-sent-here")] == 1
    assert hub.dropped()[("result", "not-sent-here")] == 1


async def test_progress_for_an_id_never_sent_is_dropped(
    hub: AgentHub, events: EventLog, sessions: dict[str, RawSession]
) -> None:
    session = sessions["nav/prod"]
    session.send(_progress("never-sent", "x" * 1000))
    await _settled(events, session, "nav/prod")
    assert events.of(ProgressReported) == []
    assert hub.dropped()[("progress", "not-sent-here")] == 1


async def test_an_over_long_line_is_passed_on_truncated(
    hub: AgentHub, events: EventLog, sessions: dict[str, RawSession]
) -> None:
    instruction = make_instruction(environment="nav/prod")
    await hub.send("nav/prod", instruction)
    sessions["nav/prod"].send(_progress(instruction.id, "é" * MAX_LINE_BYTES))
    reported = await events.wait_for(ProgressReported, "the progress")
    (line,) = reported.lines
    assert line.text.endswith(TRUNCATED)
    assert len(line.text.removesuffix(TRUNCATED).encode()) <= MAX_LINE_BYTES


async def test_lines_beyond_the_cap_per_instruction_become_one_note(
    hub: AgentHub, events: EventLog, sessions: dict[str, RawSession]
) -> None:
    instruction = make_instruction(environment="nav/prod")
    await hub.send("nav/prod", instruction)
    session = sessions["nav/prod"]
    session.send(_progress(instruction.id, *["line"] * (MAX_LINES_PER_INSTRUCTION + 5)))
    session.send(_progress(instruction.id, "later"))
    await _settled(events, session, "nav/prod")
    lines = [line.text for e in events.of(ProgressReported) for line in e.lines]
    assert len(lines) == MAX_LINES_PER_INSTRUCTION + 1
    assert lines[-1].startswith("… 5 lines dropped")
