"""`fasit agent-token`: the token it prints opens a session on a hub reading the file it wrote."""

from __future__ import annotations

from pathlib import Path

from fasit.agents import AgentConnected, AgentHub
from tests.helpers import run_cli
from tests.integration.agents.conftest import AgentFactory
from tests.integration.agents.support import EventLog


async def test_the_printed_token_opens_a_session_for_its_environment(
    token_file: Path, hub: AgentHub, events: EventLog, start_agent: AgentFactory, tmp_path: Path
) -> None:
    run = run_cli("agent-token", "nav/prod", "--tokens", token_file)
    assert run.exit_code == 0, run.stderr
    # naisd reads its token from a file, newline and all, as `> token` leaves it
    agent_token = tmp_path / "token"
    agent_token.write_text(run.stdout, encoding="utf-8")

    start_agent(token=lambda: agent_token.read_text(encoding="utf-8").strip())

    connected = await events.wait_for(AgentConnected, "the agent with the new token")
    assert connected.environment == "nav/prod"
