"""An agent that goes silent is not connected: past the agent timeout its session is ended
(the reconciler then shows it OFFLINE), and agents are told to heartbeat well within it."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from fasit.agents import AgentHub, HubConfig
from tests.integration.agents.conftest import TOKENS
from tests.integration.agents.support import RawSession, hello
from tests.integration.waiting import DEADLINE, eventually


@pytest.fixture
def hub_config() -> HubConfig:
    return HubConfig(hello_timeout=2.0, token_poll_interval=0.05, agent_timeout=0.5)


async def test_a_session_silent_past_the_agent_timeout_is_ended(hub: AgentHub) -> None:
    session = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello())
    try:
        await session.receive()  # the Welcome; then the agent says nothing more

        code, detail = await asyncio.wait_for(session.ended_with(), DEADLINE)

        assert code is grpc.StatusCode.UNAVAILABLE
        assert detail == "no message from the agent in 0.5 s (the agent timeout)"
        await eventually(lambda: hub.connected() == set(), "the session to be gone")
    finally:
        await session.close()


async def test_agents_are_told_to_heartbeat_within_a_third_of_the_timeout(hub: AgentHub) -> None:
    session = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello())
    try:
        welcome = await session.receive()

        assert welcome.welcome.heartbeat_interval_ms == round(0.5 / 3 * 1000)
    finally:
        await session.close()
