"""Bounds: a slow agent or a slow consumer cannot grow the controller's memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from fasit.agents import (
    AgentConnected,
    AgentHub,
    Delivery,
    HubConfig,
    ProgressReported,
    ResultReported,
    TokenFile,
)
from fasit_proto.agent.v1 import MAX_MESSAGE_BYTES
from fasit_proto.agent.v1 import agent_pb2 as pb
from naisd import FakeExecutor
from tests.integration.agents.conftest import TOKENS, AgentFactory
from tests.integration.agents.support import EventLog, RawSession, hello, make_instruction
from tests.integration.waiting import eventually

OUTBOX = 4
EVENTS = 8


@pytest.fixture
async def small_hub(token_file: Path) -> AsyncIterator[AgentHub]:
    config = HubConfig(outbox_capacity=OUTBOX, events_capacity=EVENTS)
    async with AgentHub(TokenFile(token_file), config) as hub:
        yield hub


async def test_an_agent_that_stops_reading_fills_its_outbox_and_no_more(
    small_hub: AgentHub,
) -> None:
    reader = RawSession(small_hub.address, token=TOKENS["nav/prod"], first=hello())
    await reader.receive()  # the Welcome; then it never reads again
    big = {"blob": "x" * (256 * 1024)}  # so HTTP/2 flow control stops the writes early

    deliveries = []
    for attempt in range(200):
        deliveries.append(
            await small_hub.send("nav/prod", make_instruction(attempt=attempt, values=big))
        )
        assert small_hub.outbox_length("nav/prod") <= OUTBOX
        if deliveries[-1] is Delivery.OUTBOX_FULL:
            break
        await asyncio.sleep(0.01)  # let the writer push what the stream takes

    assert deliveries[-1] is Delivery.OUTBOX_FULL
    assert set(deliveries[:-1]) == {Delivery.QUEUED}
    status = small_hub.status("nav/prod")
    assert status is not None
    assert status.outbox == OUTBOX
    await reader.close()


async def test_a_slow_consumer_holds_agents_back_and_loses_no_event(
    small_hub: AgentHub, start_agent: AgentFactory
) -> None:
    start_agent(FakeExecutor("nav/prod", delay=(0, 0)), target=small_hub.address)
    await eventually(lambda: small_hub.connected() == {"nav/prod"}, "the agent")
    instructions = [make_instruction(f"app{n}") for n in range(4)]
    for instruction in instructions:
        assert await small_hub.send("nav/prod", instruction) is Delivery.QUEUED

    # Nobody consumes: 4 instructions make ~30 events, the queue holds EVENTS.
    await eventually(lambda: small_hub.events_waiting == EVENTS, "a full event queue")
    async with EventLog(small_hub) as events:
        for instruction in instructions:
            await events.wait_for(
                ResultReported,
                "every result",
                lambda e, i=instruction: e.result.instruction_id == i.id,
            )

    assert len(events.of(AgentConnected)) == 1
    assert {e.instruction_id for e in events.of(ProgressReported)} == {i.id for i in instructions}
    assert small_hub.events_waiting <= EVENTS


async def test_an_instruction_over_the_message_limit_is_refused_as_too_large(
    small_hub: AgentHub,
) -> None:
    session = RawSession(small_hub.address, token=TOKENS["nav/prod"], first=hello())
    await session.receive()

    huge = make_instruction(values={"blob": "x" * MAX_MESSAGE_BYTES})

    assert await small_hub.send("nav/prod", huge) is Delivery.TOO_LARGE
    assert small_hub.outbox_length("nav/prod") == 0
    await session.close()


async def test_a_message_over_the_limit_from_an_agent_ends_its_stream(small_hub: AgentHub) -> None:
    session = RawSession(small_hub.address, token=TOKENS["nav/prod"], first=hello())
    await session.receive()
    line = pb.LogLine(text="x" * (MAX_MESSAGE_BYTES + 1))

    session.send(pb.AgentMessage(progress=pb.Progress(instruction_id="i", lines=[line])))

    code, _ = await session.ended_with()
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    await session.close()


async def test_an_offline_environment_is_told_apart_from_a_full_outbox(small_hub: AgentHub) -> None:
    assert await small_hub.send("nav/prod", make_instruction()) is Delivery.OFFLINE
