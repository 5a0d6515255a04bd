"""A live AgentHub on 127.0.0.1 (a free port), its events recorded, and agents against it.

Everything runs in the test's event loop over real gRPC. Timings are shortened (backoff, hello
timeout) so reconnects take milliseconds; nothing asserts on wall-clock time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from fasit.agents import AgentHub, HubConfig, TokenFile
from naisd import Agent, AgentConfig, Executor, FakeExecutor, ResultStore
from tests.integration.agents.helm_fixtures import HelmDouble, make_helm_double
from tests.integration.agents.support import EventLog
from tests.integration.conftest import TOKENS
from tests.integration.oci_registry import OciRegistry

FAST_AGENT = AgentConfig(backoff_initial=0.02, backoff_maximum=0.1, flush_timeout=2.0)


@pytest.fixture
def hub_config() -> HubConfig:
    return HubConfig(hello_timeout=2.0, token_poll_interval=0.05)


@pytest.fixture
async def hub(token_file: Path, hub_config: HubConfig) -> AsyncIterator[AgentHub]:
    async with AgentHub(TokenFile(token_file), hub_config) as running:
        yield running


@pytest.fixture
async def events(hub: AgentHub) -> AsyncIterator[EventLog]:
    log = EventLog(hub)
    async with log:
        yield log


AgentFactory = Callable[..., Agent]


@pytest.fixture
async def start_agent(hub: AgentHub) -> AsyncIterator[AgentFactory]:
    """start_agent(executor=…, environment=…, token=…, store=…): an Agent running in a task."""
    running: list[tuple[Agent, asyncio.Task[None]]] = []

    def start(
        executor: Executor | None = None,
        *,
        environment: str = "nav/prod",
        token: Callable[[], str] | None = None,
        store: ResultStore | None = None,
        target: str | None = None,
        config: AgentConfig = FAST_AGENT,
    ) -> Agent:
        agent = Agent(
            target or hub.address,
            environment,
            token or (lambda: TOKENS[environment]),
            executor or FakeExecutor(environment, delay=(0, 0)),
            store=store,
            config=config,
        )
        running.append((agent, asyncio.create_task(agent.run())))
        return agent

    yield start
    for agent, _ in running:
        agent.stop()
    await asyncio.gather(*(task for _, task in running), return_exceptions=True)


@pytest.fixture
def helm_double(tmp_path: Path, oci_registry: OciRegistry) -> HelmDouble:
    """The helm test double first on PATH (in `helm_double.environ`), and chart web 1.0.0 in
    the test registry."""
    return make_helm_double(tmp_path, oci_registry)
