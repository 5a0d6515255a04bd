"""Sessions: one per environment (the newer replaces the older), the Hello rules, liveness."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from fasit.agents import (
    AgentConnected,
    AgentDisconnected,
    AgentHub,
    HeartbeatReceived,
    HubConfig,
    ResultReported,
    TokenFile,
)
from fasit_proto.agent.v1 import agent_pb2 as pb
from naisd import FakeExecutor
from tests.integration.agents.conftest import TOKENS, AgentFactory
from tests.integration.agents.support import EventLog, RawSession, hello, make_instruction
from tests.integration.waiting import eventually


async def test_a_second_session_for_an_environment_replaces_the_first(
    hub: AgentHub, events: EventLog
) -> None:
    first = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello())
    assert (await first.receive()).WhichOneof("kind") == "welcome"
    second = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello())
    welcome = await second.receive()

    code, details = await first.ended_with()

    assert code == grpc.StatusCode.ABORTED
    assert details.startswith(f"replaced by a newer session {welcome.welcome.session_id} from ")
    status = hub.status("nav/prod")
    assert status is not None
    assert status.session_id == welcome.welcome.session_id
    assert status.connected
    replaced = await events.wait_for(AgentDisconnected, "the first session's end")
    assert replaced.replaced
    assert replaced.session_id != welcome.welcome.session_id
    for session in (first, second):
        await session.close()


async def test_the_first_message_must_be_a_hello(hub: AgentHub) -> None:
    session = RawSession(
        hub.address, token=TOKENS["nav/prod"], first=pb.AgentMessage(heartbeat=pb.Heartbeat())
    )

    assert await session.ended_with() == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "the first message must be Hello, got heartbeat",
    )
    await session.close()


@pytest.fixture
async def impatient_hub(token_file: Path) -> AsyncIterator[AgentHub]:
    async with AgentHub(TokenFile(token_file), HubConfig(hello_timeout=0.1)) as hub:
        yield hub


async def test_a_stream_that_never_says_hello_is_ended(impatient_hub: AgentHub) -> None:
    session = RawSession(impatient_hub.address, token=TOKENS["nav/prod"], first=None)

    assert await session.ended_with() == (
        grpc.StatusCode.DEADLINE_EXCEEDED,
        "no Hello within 0.1 s of opening the stream",
    )
    await session.close()


async def test_a_second_hello_ends_the_session(hub: AgentHub) -> None:
    session = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello())
    await session.receive()

    session.send(hello())

    assert await session.ended_with() == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "Hello is only the first message",
    )
    await session.close()


async def test_the_hub_knows_who_is_connected_and_what_they_run_also_after_they_leave(
    hub: AgentHub, events: EventLog, start_agent: AgentFactory
) -> None:
    agent = start_agent(FakeExecutor("nav/prod", delay=(0, 0), orphans=("legacy",)))
    await events.wait_for(AgentConnected, "the agent")

    assert hub.connected() == {"nav/prod"}
    status = hub.status("nav/prod")
    assert status is not None
    assert [(r.name, r.namespace, r.status) for r in status.inventory] == [
        ("legacy", "default", "deployed")
    ]
    assert status.inventory[0].release_hash.startswith("sha256:")

    agent.stop()
    await events.wait_for(AgentDisconnected, "the agent to leave")
    left = hub.status("nav/prod")
    assert left is not None
    assert not left.connected
    assert left.inventory == status.inventory
    assert hub.status("nav/dev") is None


@pytest.fixture
async def pinging_hub(token_file: Path) -> AsyncIterator[AgentHub]:
    config = HubConfig(ping_interval=0.02, heartbeat_interval=3600)
    async with AgentHub(TokenFile(token_file), config) as hub:
        yield hub


async def test_an_idle_session_is_pinged_and_the_agent_answers_with_heartbeats(
    pinging_hub: AgentHub, start_agent: AgentFactory
) -> None:
    async with EventLog(pinging_hub) as events:
        start_agent(target=pinging_hub.address)

        # One heartbeat comes with the Welcome; the rest answer pings (the interval is an hour).
        await eventually(lambda: len(events.of(HeartbeatReceived)) >= 3, "answered pings")
        status = pinging_hub.status("nav/prod")
        assert status is not None
        assert status.last_heartbeat is not None


async def test_an_unhealthy_agent_does_not_answer_pings(
    pinging_hub: AgentHub, start_agent: AgentFactory
) -> None:
    async with EventLog(pinging_hub) as events:
        executor = FakeExecutor("nav/prod", healthy=False, delay=(0.3, 0.3))
        start_agent(executor, target=pinging_hub.address)
        await events.wait_for(AgentConnected, "the agent")
        # An instruction of 0.3 s: the session is idle between its messages for many pings.
        await pinging_hub.send("nav/prod", make_instruction())
        await events.wait_for(ResultReported, "its result")

        assert events.of(HeartbeatReceived) == []
        status = pinging_hub.status("nav/prod")
        assert status is not None
        assert status.last_heartbeat is None


async def test_a_stopped_hub_ends_sessions_as_unavailable(
    token_file: Path, hub_config: HubConfig
) -> None:
    hub = AgentHub(TokenFile(token_file), dataclasses.replace(hub_config))
    await hub.start()
    session = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello())
    await session.receive()

    await hub.stop()

    assert await session.ended_with() == (
        grpc.StatusCode.UNAVAILABLE,
        "the controller is stopping",
    )
    await session.close()


async def test_a_session_the_hub_ends_is_not_logged_as_a_failure_of_the_hub(
    token_file: Path, hub_config: HubConfig, caplog: pytest.LogCaptureFixture
) -> None:
    # gRPC fails the reader's pending read with AbortError once the hub ends the call: that
    # was logged as "the hub failed on a message", with a traceback, at every stop and swap.
    hub = AgentHub(TokenFile(token_file), dataclasses.replace(hub_config))
    await hub.start()
    sessions = [RawSession(hub.address, token=TOKENS[env], first=hello(env)) for env in TOKENS]
    for session in sessions:
        await session.receive()
    replacing = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello())
    await replacing.receive()

    await hub.stop()

    for session in (*sessions, replacing):
        await session.ended_with()
        await session.close()
    # Only the hub's own records: grpc.aio's poller thread may still report, through asyncio's
    # logger, on the closed event loop of an earlier test (one loop per test here, one per process
    # in `fasit serve`), which says nothing about this hub.
    hub_errors = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name.startswith("fasit")
    ]
    assert hub_errors == []
