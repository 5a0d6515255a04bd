"""Replicas sharing a fleet: a hub that does not serve an environment tells its agent where to
go (a Redirect, then UNAVAILABLE), and naisd, given several addresses, follows it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from fasit.agents import AgentHub, HubConfig, TokenFile
from fasit_proto.agent.v1 import RETRY_AFTER_METADATA
from tests.integration.agents.conftest import TOKENS, AgentFactory
from tests.integration.agents.support import RawSession, hello
from tests.integration.processes import LOOPBACK, free_port
from tests.integration.waiting import eventually

Places = dict[str, str | None]


@pytest.fixture
async def other_hub(token_file: Path) -> AsyncIterator[tuple[AgentHub, Places]]:
    """A second hub whose placement a test sets: None serves here, an address redirects."""
    places: Places = {}
    config = HubConfig(host=LOOPBACK, port=free_port(), hello_timeout=2.0)
    async with AgentHub(TokenFile(token_file), config, lambda env: places.get(env)) as hub:
        yield hub, places


async def test_an_agent_of_another_replicas_environment_is_redirected(
    other_hub: tuple[AgentHub, Places],
) -> None:
    hub, places = other_hub
    places["nav/prod"] = "10.0.0.7:9090"
    session = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello())

    first = await session.receive()

    assert first.WhichOneof("kind") == "redirect"
    assert first.redirect.address == "10.0.0.7:9090"
    assert await session.ended_with() == (
        grpc.StatusCode.UNAVAILABLE,
        "nav/prod is served by another fasit replica: dial 10.0.0.7:9090",
    )
    assert dict(await session.call.trailing_metadata())[RETRY_AFTER_METADATA] == "0"
    assert hub.connected() == frozenset()
    await session.close()


async def test_an_environment_nobody_owns_yet_is_refused_with_a_retry_after(
    other_hub: tuple[AgentHub, Places],
) -> None:
    hub, places = other_hub
    places["nav/prod"] = ""
    session = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello())

    code, details = await session.ended_with()

    assert code == grpc.StatusCode.UNAVAILABLE
    assert details == "no fasit replica serves nav/prod yet (leases are being taken); dial again"
    assert dict(await session.call.trailing_metadata())[RETRY_AFTER_METADATA] == "2000"
    await session.close()


async def test_a_live_session_whose_environment_moved_is_redirected(
    other_hub: tuple[AgentHub, Places],
) -> None:
    hub, places = other_hub
    session = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello())
    assert (await session.receive()).WhichOneof("kind") == "welcome"
    places["nav/prod"] = "10.0.0.8:9090"

    assert hub.redirect_moved() == 1

    message = await session.receive()
    while message.WhichOneof("kind") == "ping":
        message = await session.receive()
    assert message.redirect.address == "10.0.0.8:9090"
    code, _ = await session.ended_with()
    assert code == grpc.StatusCode.UNAVAILABLE
    await session.close()


async def test_naisd_given_several_addresses_follows_the_redirect(
    hub: AgentHub, other_hub: tuple[AgentHub, Places], start_agent: AgentFactory
) -> None:
    redirecting, places = other_hub
    places["nav/prod"] = hub.address

    agent = start_agent(target=f"{redirecting.address},{LOOPBACK}:{free_port()}")

    await eventually(lambda: "nav/prod" in hub.connected(), "the agent at the owner")
    assert agent.target == hub.address


async def test_naisd_tries_its_next_address_when_one_is_down(
    hub: AgentHub, start_agent: AgentFactory
) -> None:
    start_agent(target=f"{LOOPBACK}:{free_port()},{hub.address}")

    await eventually(lambda: "nav/prod" in hub.connected(), "the agent at the live address")
