"""An environment moving between two replicas (two hubs and reconcilers on one PostgreSQL) in
the middle of a deploy: the new owner takes the instruction in flight back from the store, the
agent is redirected to it, the deploy runs once, and its result is recorded once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fasit.agents import AgentHub, HubConfig, TokenFile, write_token_file
from fasit.plan import Plan, validate_tree
from fasit.reconcile import (
    ChartLocator,
    DeployState,
    PostgresStatusStore,
    Reconciler,
    Status,
)
from fasit.state import DirectoryTree, Revision
from naisd import Agent, ResultStore
from tests import states
from tests.helpers import write_tree
from tests.integration.agents.support import GatedExecutor
from tests.integration.reconcile.conftest import QUIET
from tests.integration.reconcile.support import FAST_AGENT, local_chart, token
from tests.integration.waiting import eventually

ENVIRONMENT = "nav/dev"


@dataclass
class Replica:
    hub: AgentHub
    store: PostgresStatusStore
    reconciler: Reconciler
    run: asyncio.Task[None]
    owned: set[str]

    def status(self) -> Status | None:
        views = [v for v in self.reconciler.releases() if v.environment == ENVIRONMENT]
        return views[0].status if views else None


def planned(root: Path) -> Plan:
    state = write_tree(
        root / "state",
        states.state(
            states.environment("nav", "dev"),
            states.feature("web"),
            states.chart("web", "1.0.0"),
            states.assignment("web", "1.0.0", {}),
        ),
    )
    result = validate_tree(DirectoryTree(state), revision=Revision("r1", "test", datetime.now(UTC)))
    return result.plan


@pytest.fixture
async def replicas(tmp_path: Path, postgres_url: str) -> AsyncIterator[list[Replica]]:
    tokens = tmp_path / "agent-tokens.yaml"
    write_token_file(tokens, {ENVIRONMENT: token(ENVIRONMENT)})
    plan = planned(tmp_path)
    started: list[Replica] = []
    for _ in range(2):
        owned: set[str] = set()

        def placement(environment: str, owned: set[str] = owned) -> str | None:
            if environment in owned:
                return None
            others = [r.hub.address for r in started if environment in r.owned]
            return others[0] if others else ""

        hub = AgentHub(TokenFile(tokens), HubConfig(hello_timeout=2.0), placement)
        await hub.start()
        store = PostgresStatusStore(postgres_url, retention_interval=0.0)
        reconciler = Reconciler(hub, store, ChartLocator(local_chart), QUIET)
        reconciler.share(lambda environment, owned=owned: environment in owned, store)
        run = asyncio.create_task(reconciler.run())
        await reconciler.started()
        reconciler.update_plan(plan)
        started.append(Replica(hub, store, reconciler, run, owned))
    yield started
    for replica in started:
        await replica.reconciler.stop()
        await replica.run
        await replica.hub.stop()


async def move(source: Replica, target: Replica) -> None:
    """What a lease renewal does: the old owner lets go (its writes flushed), the new one
    takes over."""
    source.owned.discard(ENVIRONMENT)
    source.reconciler.own(frozenset())
    source.hub.redirect_moved()
    await source.store.flush()
    target.owned.add(ENVIRONMENT)
    target.reconciler.own(frozenset({ENVIRONMENT}))


async def test_a_deploy_in_flight_moves_to_the_new_owner_and_runs_once(
    replicas: list[Replica],
) -> None:
    first, second = replicas
    first.owned.add(ENVIRONMENT)
    first.reconciler.own(frozenset({ENVIRONMENT}))
    executor = GatedExecutor(ENVIRONMENT)
    agent = Agent(
        f"{first.hub.address},{second.hub.address}",
        ENVIRONMENT,
        lambda: token(ENVIRONMENT),
        executor,
        store=ResultStore(),
        config=FAST_AGENT,
    )
    running = asyncio.create_task(agent.run())
    try:
        await asyncio.wait_for(executor.started.wait(), 30)
        await eventually(lambda: first.status() is Status.INSTALLING, "installing at the first")

        await move(first, second)
        await eventually(lambda: ENVIRONMENT in second.hub.connected(), "the agent redirected")
        await eventually(lambda: second.status() is Status.INSTALLING, "in flight at the second")
        executor.gate.set()
        await eventually(lambda: second.status() is Status.DEPLOYED, "deployed at the second")
    finally:
        agent.stop()
        await running

    assert len(executor.runs) == 1
    await second.store.flush()
    rows = await second.store.deploys(ENVIRONMENT, "web")
    finals = [row for row in rows if row.state is DeployState.DEPLOYED]
    assert len(finals) == 1
    assert {row.instruction_id for row in rows} == {executor.runs[0]}
