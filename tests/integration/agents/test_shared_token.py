"""Two agents with one token: after a few swaps the hub warns once, naming both peers, and
refuses the stray's reconnects with a growing delay, so the session stops swapping."""

from __future__ import annotations

import logging

import pytest

from fasit.agents import AgentConnected, AgentHub, ContestPolicy, HubConfig
from naisd import AgentConfig
from tests.integration.agents.conftest import AgentFactory
from tests.integration.agents.support import EventLog
from tests.integration.waiting import eventually

# Agents that reconnect in milliseconds (swapping fast, as two naisd do); a hub that calls it
# contested after 3 swaps and asks the stray to wait 0.2 s, 0.4 s, 0.8 s, ...
QUICK_AGENT = AgentConfig(backoff_initial=0.01, backoff_maximum=0.02, flush_timeout=2.0)
POLICY = ContestPolicy(limit=3, window=60.0, initial=0.2, maximum=5.0)


@pytest.fixture
def hub_config() -> HubConfig:
    return HubConfig(hello_timeout=2.0, token_poll_interval=0.05, contest=POLICY)


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the agents logged for each refused reconnect."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("naisd") and "ALREADY_EXISTS" in record.getMessage()
    ]


async def test_two_agents_with_one_token_stop_swapping_after_one_warning(
    hub: AgentHub,
    events: EventLog,
    start_agent: AgentFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    start_agent(config=QUICK_AGENT)
    start_agent(config=QUICK_AGENT)

    await eventually(lambda: len(refusals(caplog)) >= 3, "three refused reconnects")

    connected = [e for e in events.events if isinstance(e, AgentConnected)]
    assert len(connected) == POLICY.limit + 1  # the first session, then 3 swaps, then none
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.name == "fasit.agents.hub" and "two agents share the token" in record.getMessage()
    ]
    older, newer = connected[-2].peer, connected[-1].peer
    assert warnings == [
        f"two agents share the token of nav/prod: the session swapped 3 times within 60 s "
        f"between {older} and {newer}; {newer} keeps it and new sessions are refused with a "
        "growing delay until it ends. Stop the stray agent, or give it its own environment "
        "and token"
    ]
    assert [message.rsplit("retry in ", 1)[1] for message in refusals(caplog)[:3]] == [
        "0.2 s",
        "0.4 s",
        "0.8 s",
    ]
    status = hub.status("nav/prod")
    assert status is not None
    assert (status.connected, status.session_id) == (True, connected[-1].session_id)


async def test_once_the_holder_leaves_the_other_agent_gets_the_session(
    hub: AgentHub,
    events: EventLog,
    start_agent: AgentFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    agents = [start_agent(config=QUICK_AGENT), start_agent(config=QUICK_AGENT)]
    await eventually(lambda: len(refusals(caplog)) >= 1, "a refused reconnect")
    holder = next(agent for agent in agents if agent.connected)
    stray = next(agent for agent in agents if agent is not holder)

    holder.stop()

    await eventually(lambda: stray.connected, "the other agent welcomed")
    status = hub.status("nav/prod")
    assert status is not None
    assert (status.connected, status.session_id) == (True, stray.session_id)
