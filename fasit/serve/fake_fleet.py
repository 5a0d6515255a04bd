"""In-process fake agents, one per environment of the served state (`fasit serve --fake-agents`).

The same `naisd.Agent` as in production, over real gRPC on loopback, with the fake executor
(`FASIT_FAKE_FAILING`, `FASIT_FAKE_UNHEALTHY`, `FASIT_FAKE_ORPHANS` shape the mix). Each
agent has its own random token, written (hashed) to the token file the hub reads, so fake
agents are authenticated exactly like real ones. Environments that appear in a later revision
get an agent too; agents of environments that left keep running (as a real agent would).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

from fasit.agents import write_token_file
from naisd import Agent, AgentConfig, FakeExecutor

__all__ = ["FakeFleet"]

logger = logging.getLogger(__name__)


class FakeFleet:
    """Start with `ensure(environments)`; `stop()` ends every agent."""

    def __init__(self, target: str, token_file: Path, config: AgentConfig | None = None) -> None:
        self.target = target
        """The hub's address (HOST:PORT) agents dial."""
        self._token_file = token_file
        self._config = config or AgentConfig()
        self._tokens: dict[str, str] = {}
        self._agents: dict[str, tuple[Agent, asyncio.Task[None]]] = {}

    def ensure(self, environments: Iterable[str]) -> None:
        """A token and an agent for each environment that has none yet.

        The token file is written first (and always exists afterwards, empty or not), so the
        hub knows a token before its agent presents it.
        """
        new = sorted(env for env in environments if env not in self._tokens)
        for environment in new:
            self._tokens[environment] = secrets.token_urlsafe(24)
        if new or not self._token_file.exists():
            write_token_file(self._token_file, self._tokens)
        for environment in new:
            token = self._tokens[environment]
            agent = Agent(
                self.target,
                environment,
                _constant(token),
                FakeExecutor.from_environment(environment, os.environ),
                config=self._config,
            )
            task = asyncio.create_task(agent.run(), name=f"fake-agent {environment}")
            self._agents[environment] = (agent, task)
        if new:
            logger.info("fake agents running: %d", len(self._agents))

    async def stop(self) -> None:
        for agent, _ in self._agents.values():
            agent.stop()
        await asyncio.gather(*(task for _, task in self._agents.values()), return_exceptions=True)
        self._agents.clear()


def _constant(token: str) -> Callable[[], str]:
    return lambda: token
