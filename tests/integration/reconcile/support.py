"""A fleet in one event loop: a real AgentHub on loopback, a Reconciler over a SQLite status
file, in-process naisd agents with fake executors, and a state directory planned for real."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fasit.agents import AgentHub, HubConfig, TokenFile, write_token_file
from fasit.charts import ResolvedChart
from fasit.plan import Plan, Planner, validate_tree
from fasit.reconcile import (
    ChartLocator,
    ChartReference,
    Decision,
    Deploy,
    Reason,
    ReconcileConfig,
    Reconciler,
    ReleaseView,
    SqliteStatusStore,
)
from fasit.state import DirectoryTree, Revision
from naisd import (
    Agent,
    AgentConfig,
    Executor,
    FakeExecutor,
    ResultStore,
)
from tests import states
from tests.helpers import write_tree
from tests.integration.agents.support import GatedExecutor as Gated
from tests.integration.waiting import eventually
from tests.states import basic_state

__all__ = ["Fleet", "Gated", "basic_state", "local_chart", "runs", "token"]

FAST_AGENT = AgentConfig(backoff_initial=0.02, backoff_maximum=0.2, flush_timeout=2.0)
ENVIRONMENTS = ("nav/dev", "nav/prod", *(f"fleet/e{i}" for i in range(10)))


def token(environment: str) -> str:
    return f"token-of-{environment}"


async def local_chart(chart: ResolvedChart) -> ChartReference:
    """In-repo charts by their directory: the fake executor reads no chart."""
    return ChartReference(chart.location, chart.digest)


@dataclass
class Fleet:
    """Start with `await fleet.start()`; `publish(files)` is a new revision of the state."""

    root: Path
    port: int = 0
    reconcile: ReconcileConfig = field(default_factory=ReconcileConfig)
    hub: AgentHub | None = None
    reconciler: Reconciler | None = None
    planner: Planner = field(default_factory=Planner)
    agents: dict[str, tuple[Agent, asyncio.Task[None]]] = field(default_factory=dict)
    plan: Plan | None = None
    _run: asyncio.Task[None] | None = None
    _revisions: int = 0
    store: SqliteStatusStore | None = None

    @property
    def store_path(self) -> Path:
        return self.root / "status.db"

    async def start(self) -> None:
        """Start the controller: hub (on `port` once known) and reconciler on the status file."""
        tokens = self.root / "agent-tokens.yaml"
        if not tokens.exists():
            write_token_file(tokens, {env: token(env) for env in ENVIRONMENTS})
        hub = AgentHub(TokenFile(tokens), HubConfig(port=self.port, hello_timeout=2.0))
        store = self.store = SqliteStatusStore(self.store_path, retention_interval=0.0)
        self.reconciler = Reconciler(hub, store, ChartLocator(local_chart), self.reconcile)
        # As `fasit serve` does: the hub takes agents once it knows the ids still in flight.
        await self.reconciler.open()
        await hub.start()
        self.hub, self.port = hub, hub.port
        self._run = asyncio.create_task(self.reconciler.run())
        if self.plan is not None:
            self.reconciler.update_plan(self.plan)

    async def stop(self) -> None:
        """Stop the controller (agents keep running and reconnect to the next one)."""
        if self.reconciler is not None and self._run is not None:
            await self.reconciler.stop()
            await self._run
        if self.hub is not None:
            await self.hub.stop()
        self.reconciler = self.hub = self._run = None

    async def close(self) -> None:
        await self.stop()
        for agent, _ in self.agents.values():
            agent.stop()
        tasks = [task for _, task in self.agents.values()]
        _, stuck = await asyncio.wait(tasks, timeout=10.0) if tasks else ((), set())
        for task in stuck:  # a test that failed mid-way must not hang its teardown
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def connect(self, environment: str, executor: Executor | None = None) -> Executor:
        """An in-process agent for `environment`; its executor (default: fake, no delay)."""
        executor = executor or FakeExecutor(environment, delay=(0, 0))
        agent = Agent(
            f"127.0.0.1:{self.port}",
            environment,
            lambda: token(environment),
            executor,
            store=ResultStore(),
            config=FAST_AGENT,
        )
        self.agents[environment] = (agent, asyncio.create_task(agent.run()))
        return executor

    async def until_connected(self, *environments: str) -> None:
        """Wait until each environment's agent has a live session (so send order is known)."""
        assert self.hub is not None
        hub = self.hub
        await eventually(
            lambda: set(environments) <= hub.connected(), f"agents of {', '.join(environments)}"
        )

    def publish(self, *parts: dict[str, str]) -> Plan:
        """Replace the state directory with `parts`, plan it, and hand the plan over."""
        state = self.root / "state"
        shutil.rmtree(state, ignore_errors=True)
        write_tree(state, states.state(*parts))
        self._revisions += 1
        revision = Revision(f"revision-{self._revisions}", str(state), datetime.now(UTC))
        result = validate_tree(DirectoryTree(state), revision=revision, planner=self.planner)
        assert result.snapshot.servable, result.snapshot.blocking
        self.plan = result.plan
        if self.reconciler is not None:
            self.reconciler.update_plan(result.plan)
        return result.plan

    # -- what happened -------------------------------------------------------------------------

    @property
    def running(self) -> Reconciler:
        assert self.reconciler is not None, "the controller is stopped"
        return self.reconciler

    def decision(self, environment: str, feature: str) -> Decision | None:
        current = self.running._fleet.current.get(environment, [])
        return next((d for d in current if d.feature == feature), None)

    def status(self, environment: str, feature: str) -> ReleaseView | None:
        return next(
            (
                view
                for view in self.running.releases()
                if (view.environment, view.feature) == (environment, feature)
            ),
            None,
        )

    async def until_status(self, environment: str, feature: str, status: str) -> None:
        def shown() -> bool:
            view = self.status(environment, feature)
            return view is not None and view.status == status

        await eventually(
            shown, f"{environment} {feature} {status}: {self.status(environment, feature)}"
        )

    async def until_decided(
        self, environment: str, feature: str, holds: Callable[[Decision], bool]
    ) -> Decision:
        def decided() -> bool:
            decision = self.decision(environment, feature)
            return decision is not None and holds(decision)

        await eventually(decided, f"a decision on {environment} {feature}")
        decision = self.decision(environment, feature)
        assert decision is not None
        return decision

    async def deploys(self, environment: str, feature: str) -> list[Deploy]:
        """The deploy log of the pair, oldest first, as written to the status file."""
        async with self._reader() as reader:
            return list(reversed(await reader.deploys(environment, feature)))

    async def decision_log(self, environment: str, feature: str) -> list[Reason]:
        """The reasons in the pair's decision log, oldest first, as written."""
        async with self._reader() as reader:
            return [
                record.reason for record in reversed(await reader.decisions(environment, feature))
            ]

    async def decision_messages(self, environment: str, feature: str) -> list[str]:
        """The messages in the pair's decision log, oldest first, as written."""
        async with self._reader() as reader:
            return [
                record.message for record in reversed(await reader.decisions(environment, feature))
            ]

    async def logs(self, instruction_id: str) -> list[str]:
        """The agent log lines of an instruction, as written to the status file."""
        async with self._reader() as reader:
            return [record.line.text for record in await reader.logs(instruction_id)]

    @contextlib.asynccontextmanager
    async def _reader(self) -> AsyncIterator[SqliteStatusStore]:
        if self.store is not None and self.reconciler is not None:
            await self.store.flush()
        reader = SqliteStatusStore(self.store_path)
        try:
            await reader.open()
            yield reader
        finally:
            await reader.close()


def runs(executor: Executor) -> list[str]:
    """The instruction ids an executor ran."""
    assert isinstance(executor, FakeExecutor | Gated)
    return list(executor.runs)
