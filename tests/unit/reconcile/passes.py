"""A `Reconciler` driven pass by pass in fake time: the clock it accepts, fake agents, a store
in memory. Nothing sleeps and nothing runs in the background: a spec hands agent events over,
runs a pass, moves the clock, and asserts what was sent and decided."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from fasit.agents import AgentEvent, Instruction, Outcome, ReleaseState
from fasit.charts import ResolvedChart
from fasit.plan import Plan
from fasit.reconcile import (
    ChartLocator,
    ChartReference,
    Decision,
    PassReport,
    Reason,
    ReconcileConfig,
    Reconciler,
)
from tests import states
from tests.fake_agents import FakeAgents
from tests.memory_store import MemoryStatusStore
from tests.unit.reconcile.support import NOW

# Passes come when a spec runs them; the interval plays no part.
QUIET = ReconcileConfig(interval=3600.0)


@dataclass
class Clock:
    """Fake time: `now` moves only when a spec says so."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def to(self, at: datetime) -> None:
        assert at >= self.now, f"the clock goes forward only: {at} < {self.now}"
        self.now = at


async def _local_chart(chart: ResolvedChart) -> ChartReference:
    return ChartReference(chart.location, chart.digest)


@dataclass
class Passes:
    """Create, then `await passes.open()`; `publish` a state, `take` events, `run` passes."""

    root: Path
    config: ReconcileConfig = QUIET
    clock: Clock = field(default_factory=Clock)
    store: MemoryStatusStore = field(init=False)
    agents: FakeAgents = field(init=False)
    reconciler: Reconciler = field(init=False)
    revisions: int = 0
    reports: list[PassReport] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.store = MemoryStatusStore(clock=self.clock)
        self.agents = FakeAgents(self.clock)
        self.reconciler = Reconciler(
            self.agents, self.store, ChartLocator(_local_chart), self.config, self.clock
        )

    async def open(self) -> None:
        await self.reconciler.open()

    async def close(self) -> None:
        await self.store.close()

    def publish(self, *parts: dict[str, str]) -> Plan:
        self.revisions += 1
        plan = states.build(self.root / f"rev-{self.revisions}", states.state(*parts)).plan
        self.reconciler.update_plan(plan)
        return plan

    def take(self, *events: AgentEvent) -> None:
        for event in events:
            self.reconciler.take(event)

    def connect(self, *environments: str, running: tuple[ReleaseState, ...] = ()) -> None:
        self.take(*(self.agents.connected(environment, *running) for environment in environments))

    async def run(self) -> list[tuple[str, Instruction]]:
        """One pass now; the instructions it sent."""
        before = len(self.agents.sent)
        self.reports.append(await self.reconciler.run_pass())
        return self.agents.sent[before:]

    @property
    def due(self) -> datetime | None:
        """When the last pass said the next one is due at the latest."""
        return self.reports[-1].due

    def answer(
        self,
        sent: list[tuple[str, Instruction]],
        outcome: Outcome = Outcome.DEPLOYED,
        error: str = "",
    ) -> None:
        """Every agent acknowledges what it was sent and reports `outcome` for it."""
        for environment, instruction in sent:
            self.take(
                self.agents.acked(environment, instruction),
                self.agents.finished(environment, instruction, outcome, error),
            )

    def decision(self, environment: str, feature: str = "web") -> Decision:
        found = [d for d in self.reconciler.decisions(environment) if d.feature == feature]
        assert found, f"no decision on {environment} {feature}"
        return found[0]

    def reason(self, environment: str, feature: str = "web") -> Reason:
        return self.decision(environment, feature).reason
