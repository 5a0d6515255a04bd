"""Where a replica sends an agent (`Replicas.placement`, what its hub asks before welcoming a
session) while it takes an environment over on a shared PostgreSQL store: not here until the
environment's history is taken back, so a result the agent kept for an instruction its previous
owner sent always finds that instruction (docs/ha.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fasit.agents import AgentHub, HubConfig, TokenFile, write_token_file
from fasit.reconcile import ChartLocator, LeaseKeeper, PostgresStatusStore, Reconciler
from fasit.serve.replicas import Replicas
from tests.integration.reconcile.conftest import QUIET
from tests.integration.reconcile.support import local_chart, token
from tests.integration.waiting import eventually

ENVIRONMENT = "nav/dev"


@dataclass
class Taking:
    replicas: Replicas
    keeper: LeaseKeeper
    reconciler: Reconciler


@pytest.fixture
async def taking(tmp_path: Path, postgres_url: str) -> AsyncIterator[Taking]:
    """A replica whose lease keeper and reconciler are wired as `fasit serve` wires them,
    neither running yet."""
    tokens = tmp_path / "agent-tokens.yaml"
    write_token_file(tokens, {ENVIRONMENT: token(ENVIRONMENT)})
    hub = AgentHub(TokenFile(tokens), HubConfig())
    store = PostgresStatusStore(postgres_url, retention_interval=0.0)
    reconciler = Reconciler(hub, store, ChartLocator(local_chart), QUIET)
    replicas = Replicas(15.0, "127.0.0.1:1", "127.0.0.1:2")
    keeper = replicas.start(store, hub, reconciler, lambda: [ENVIRONMENT])
    await reconciler.open()
    try:
        yield Taking(replicas, keeper, reconciler)
    finally:
        await reconciler.stop()
        await keeper.close()
        await hub.stop()


async def test_an_agent_is_not_welcomed_before_its_environments_history_is_taken_back(
    taking: Taking,
) -> None:
    await taking.keeper.renew_once()  # the lease is this replica's; nothing taken back yet

    assert taking.keeper.owns(ENVIRONMENT)
    assert taking.replicas.placement(ENVIRONMENT) == ""


async def test_an_agent_is_welcomed_once_its_environment_is_taken_over(taking: Taking) -> None:
    await taking.keeper.renew_once()
    running = asyncio.create_task(taking.reconciler.run())

    await eventually(lambda: taking.replicas.placement(ENVIRONMENT) is None, "welcomed here")

    await taking.reconciler.stop()
    await running
