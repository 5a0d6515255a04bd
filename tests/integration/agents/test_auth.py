"""Who may open a session: tokens, the Hello's environment, and a token file that changes."""

from __future__ import annotations

import logging
from pathlib import Path

import grpc
import pytest

from fasit.agents import AgentConnected, AgentDisconnected, AgentHub, write_token_file
from tests.integration.agents.conftest import TOKENS, AgentFactory
from tests.integration.agents.support import EventLog, RawSession, hello
from tests.integration.waiting import eventually


async def _refused(hub: AgentHub, token: str | None, environment: str) -> tuple[object, str]:
    session = RawSession(hub.address, token=token, first=hello(environment))
    try:
        return await session.ended_with()
    finally:
        await session.close()


async def test_a_stream_without_a_token_is_unauthenticated(hub: AgentHub) -> None:
    code, details = await _refused(hub, None, "nav/prod")

    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert details == "no bearer token: send metadata 'authorization: Bearer <token>'"


async def test_a_wrong_token_is_unauthenticated(hub: AgentHub) -> None:
    code, details = await _refused(hub, "guessed", "nav/prod")

    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert details == "the token is not valid for any environment"


async def test_a_hello_for_another_environment_than_the_token_is_permission_denied(
    hub: AgentHub,
) -> None:
    code, details = await _refused(hub, TOKENS["nav/dev"], "nav/prod")

    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert details == "this token is for nav/dev, not 'nav/prod'"
    assert hub.connected() == frozenset()


@pytest.mark.parametrize(
    ("environment", "token", "status"),
    [
        pytest.param("nav/prod", "guessed", "UNAUTHENTICATED", id="wrong token"),
        pytest.param("nav/prod", TOKENS["nav/dev"], "PERMISSION_DENIED", id="other environment"),
    ],
)
async def test_the_agent_logs_an_authentication_failure_naming_the_status_and_retries(
    start_agent: AgentFactory,
    caplog: pytest.LogCaptureFixture,
    environment: str,
    token: str,
    status: str,
) -> None:
    caplog.set_level(logging.INFO, logger="naisd")
    start_agent(environment=environment, token=lambda: token)

    def failures() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "naisd.agent" and r.levelno == logging.ERROR
        ]

    await eventually(lambda: len(failures()) >= 2, "two failed attempts")
    assert failures()[0].startswith(f"authentication failed: {status}: ")
    assert any(r.getMessage().startswith("reconnecting in ") for r in caplog.records)


async def test_a_token_rotated_in_the_file_is_picked_up_by_hub_and_agent(
    token_file: Path, hub: AgentHub, events: EventLog, start_agent: AgentFactory, tmp_path: Path
) -> None:
    agent_token = tmp_path / "token"
    agent_token.write_text("rotated-token\n", encoding="utf-8")
    start_agent(token=lambda: agent_token.read_text(encoding="utf-8").strip())
    await eventually(lambda: not hub.connected(), "a refused attempt")

    write_token_file(token_file, {**TOKENS, "nav/prod": "rotated-token"})

    connected = await events.wait_for(AgentConnected, "the agent with the rotated token")
    assert connected.environment == "nav/prod"


async def test_a_revoked_token_ends_its_session(
    token_file: Path, hub: AgentHub, events: EventLog, start_agent: AgentFactory
) -> None:
    start_agent()
    await events.wait_for(AgentConnected, "the agent")

    write_token_file(token_file, {"nav/dev": TOKENS["nav/dev"]})

    ended = await events.wait_for(AgentDisconnected, "the session's end")
    assert ended.reason == "the token of this session was revoked"


async def test_the_refusal_of_an_unknown_token_names_the_environment_the_hello_claimed(
    hub: AgentHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="fasit.agents")

    await _refused(hub, "guessed", "nav/prod")

    refusals = [r.getMessage() for r in caplog.records if "unknown token" in r.getMessage()]
    assert refusals == ["agent refused: unknown token for the environment 'nav/prod'"]
