"""The reconciler: level-triggered passes, woken by plans, agents and time (DESIGN.md §4).

`Reconciler.run()` runs two tasks until `stop()`: one consumes the hub's agent events (acks,
progress, results, inventories, connections) into the run-time state and the status store;
the other runs passes. A pass happens when something wakes it (a new plan, an agent
connecting or reporting, a result) or when a time it waits for comes (the interval, a retry,
a deadline); wake-ups that arrive during a pass coalesce into one more. Each pass: expire
overdue instructions, decide (fleet.py), record decisions that changed (recorder.py), send
what is due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from fasit.agents import (
    AgentConnected,
    AgentDisconnected,
    AgentEvent,
    Delivery,
    HeartbeatReceived,
    Instruction,
    InstructionAcked,
    InventoryReported,
    ProgressReported,
    ResultReported,
)
from fasit.plan import Plan
from fasit.reconcile.decisions import AgentView, Circuit, Decision, Reason, RolloutKey
from fasit.reconcile.deploys import Deploy
from fasit.reconcile.fleet import FleetDecider, PassResult, ReconcileConfig
from fasit.reconcile.instructions import (
    ChartLocator,
    ChartNotPublished,
    build_instruction,
    deploy_of,
)
from fasit.reconcile.recorder import Recorder
from fasit.reconcile.runtime import Runtime
from fasit.reconcile.shares import Share, SharedHistory, shown_of
from fasit.reconcile.store import Recovered, StatusStore
from fasit.reconcile.views import ReleaseView, ReleaseViews
from fasit.reconcile.waves import ChangeProgress

__all__ = ["AgentChannel", "PassReport", "Reconciler"]

logger = logging.getLogger(__name__)


class AgentChannel(Protocol):
    """What the reconciler needs of the agent hub."""

    async def send(self, environment: str, instruction: Instruction) -> Delivery: ...

    def expect(self, environment: str, instruction_id: str) -> None:
        """Take the agent's messages for an id sent before a restart (the store says so)."""

    def events(self) -> AsyncIterator[AgentEvent]: ...


@dataclass(frozen=True, slots=True)
class PassReport:
    """What one pass did, for logs, metrics and benchmarks."""

    revision: str
    started: datetime
    seconds: float
    decided: int
    """Environments decided afresh."""
    recorded: Mapping[Reason, int]
    """Decisions that changed (new rows in the decision log), by reason."""
    sent: int
    due: datetime | None
    """When the next pass is due at the latest (a retry, a deadline), besides the interval."""

    @property
    def rows(self) -> int:
        """Rows written to the decision log."""
        return sum(self.recorded.values())


class Reconciler:
    """Use `update_plan` to give it desired state, `run()` to reconcile, `stop()` to end."""

    def __init__(
        self,
        agents: AgentChannel,
        store: StatusStore,
        locator: ChartLocator | None = None,
        config: ReconcileConfig | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._agents = agents
        self._store = store
        self._locator = locator or ChartLocator()
        self.config = config or ReconcileConfig()
        self._clock = clock
        self.runtime = Runtime()
        self._fleet = FleetDecider(self.config)
        self._records = Recorder(store, logger)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._started = asyncio.Event()
        self._pass_listeners: list[Callable[[PassReport], None]] = []
        self.generation = 0
        """Bumped whenever what `releases()` shows may have changed (a pass, an agent event)."""
        self.decided_revision = ""
        """The revision of the plan the last pass decided over: what `releases()` reflects
        ("" before the first pass). A plan handed over since is not in the views yet."""
        self._release_views = ReleaseViews(self._fleet, self.runtime, self._records.last, clock)
        self._share: Share | None = None

    def share(self, owns: Callable[[str], bool], history: SharedHistory) -> None:
        """Reconcile only the environments `owns` (this replica's leases), each once its
        history is taken back from `history` (`own`); call before `open`."""
        if self._started.is_set():
            raise RuntimeError("Reconciler.share: call it before open()")
        share = self._share = Share(owns, history, self.config.shared_refresh, self._clock)
        self._fleet.owns = share.includes

    def reconciles(self, environment: str) -> bool:
        """Whether this replica reconciles `environment` now: alone, every one; sharing a
        fleet, one it owns by lease whose history it has taken back."""
        return self._fleet.owns(environment)

    def own(self, environments: frozenset[str], replicas: int = 1, leader: bool = False) -> None:
        """This replica's leases changed (`replicas` live ones share the fleet, `leader`: this
        one is the elected one): drop the environments gone, take over the new ones (what
        their previous owner sent, decided and saw) before they are reconciled."""
        if self._share is None:
            raise RuntimeError("Reconciler.own: share() first")
        self._fleet.replicas = max(1, replicas)
        self._fleet.leader = leader
        self._share.want(environments)

    # -- inputs --------------------------------------------------------------------------------

    def update_plan(self, plan: Plan) -> None:
        """Reconcile towards `plan` from the next pass (which this wakes)."""
        self._fleet.set_plan(plan)
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def on_pass(self, listener: Callable[[PassReport], None]) -> None:
        """Call `listener` with the report of every pass (logs, metrics)."""
        self._pass_listeners.append(listener)

    def on_deploy(self, listener: Callable[[Deploy], None]) -> None:
        """Call `listener` with every deploy-log row as it is recorded (metrics)."""
        self._records.on_deploy(listener)

    # -- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> None:
        """Take back the store's history (`run()` does it when nobody did)."""
        if self._started.is_set():
            return
        recovered = await self._store.open()
        if self._share is None:  # shared: each environment is taken back as it is owned
            self._take_back(recovered)
        self._started.set()

    def _take_back(self, recovered: Recovered) -> None:
        self.runtime.restore(recovered.deploys)
        for deploy in recovered.deploys:
            if deploy.in_flight or deploy.timed_out:
                # Sent by the previous controller: its agent's result must still get through.
                self._agents.expect(deploy.environment, deploy.instruction_id)
        self._records.take_back(recovered.decisions)

    async def run(self) -> None:
        """Reconcile until `stop()`; the store is closed at the end."""
        await self.open()
        tasks = [
            asyncio.create_task(self._consume_events(), name="reconciler-events"),
            asyncio.create_task(self._pass_loop(), name="reconciler-passes"),
        ]
        if self._share is not None:
            tasks.append(
                asyncio.create_task(self._share_loop(self._share), name="reconciler-share")
            )
        try:
            await self._stopping.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._store.close()

    async def stop(self) -> None:
        self._stopping.set()

    async def started(self) -> None:
        """Wait until the store's history is taken back."""
        await self._started.wait()

    # -- read side -----------------------------------------------------------------------------

    def decisions(self, environment: str) -> list[Decision]:
        """The environment's decisions as of the last pass (limits applied)."""
        return list(self._fleet.current.get(environment, ()))

    def circuits(self) -> Mapping[RolloutKey, Circuit]:
        """The rollouts held back by the circuit breaker as of the last pass."""
        return self._fleet.circuits

    def rollouts(self) -> list[ChangeProgress]:
        """Each change on its way through a Rollout's waves, as of the last pass."""
        return self._fleet.changes()

    def agent(self, environment: str) -> AgentView | None:
        """The environment's agent as last seen; None if it never connected."""
        state = self.runtime.environments.get(environment)
        return None if state is None else state.agent

    def releases(self) -> list[ReleaseView]:
        """Every (environment, feature) desired or running, by environment then feature; the
        same list until `generation` moves (callers must not change it)."""
        return self._release_views.all(self.generation)

    def release(self, environment: str, feature: str) -> ReleaseView | None:
        """One (environment, feature) as `releases()` shows it; None if neither desired nor
        running. Costs one environment's decisions, not the fleet's views."""
        return self._release_views.one(environment, feature)

    # -- ownership (replicas sharing a fleet) --------------------------------------------------

    async def _share_loop(self, share: Share) -> None:
        """Forget the environments given up, take back those taken over (before the next
        pass reconciles them), and show the others' as the store has them."""
        async for change in share.changes(self._planned_environments):
            for environment in change.lost:
                self.runtime.forget(environment)
            self._records.forget(change.lost)
            self._take_back(change.history)
            moved = bool(change.lost or change.gained)
            stored = self._release_views.stored if change.stored is None else change.stored
            stored = {e: v for e, v in stored.items() if e not in share.adopted}
            if self._fleet.take_others(shown_of(stored), change.failed, change.pruning):
                moved = True  # a circuit may open or close, a wave open
            if moved or stored != self._release_views.stored:
                self._release_views.stored = stored
                self.generation += 1
            if moved:
                self.wake()

    def _planned_environments(self) -> Collection[str]:
        plan = self._fleet.plan
        return () if plan is None else plan.environments.keys()

    # -- passes --------------------------------------------------------------------------------

    async def _pass_loop(self) -> None:
        due: datetime | None = None
        while True:
            timeout = self.config.interval
            if due is not None:
                timeout = min(timeout, max(0.0, (due - self._clock()).total_seconds()))
            # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancellation
            # that arrives as the wait completes, and the loop would outlive stop().
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            self._wake.clear()
            if self._fleet.plan is None:
                due = None
                continue  # nothing is desired until the first plan: decide nothing
            try:
                report = await self.run_pass()
                due = report.due
            except Exception:
                logger.exception("reconcile pass failed; the next one runs at the interval")
                due = None

    async def run_pass(self) -> PassReport:
        """One pass now: expire overdue work, decide, record what changed, send what is due."""
        plan = self._fleet.plan
        if plan is None:
            raise RuntimeError("Reconciler.run_pass: no plan yet (update_plan first)")
        started = self._clock()
        clock_start = asyncio.get_running_loop().time()
        expired = self.runtime.expire(started)
        for deploy in expired:
            self._records.deploy(deploy)
        result = self._fleet.decide(self.runtime, started)
        self.decided_revision = plan.revision.id
        recorded = self._records.decisions(result, plan.revision.id, started)
        sent, retry_soon = await self._send(result, plan)
        due = result.due
        if sent:
            self.wake()  # once more, so what was sent shows as in progress
        if retry_soon:
            soon = self._clock() + timedelta(seconds=self.config.resend_after)
            due = soon if due is None else min(due, soon)
        deadline = self.runtime.next_deadline()
        if deadline is not None:
            due = deadline if due is None else min(due, deadline)
        report = PassReport(
            plan.revision.id,
            started,
            asyncio.get_running_loop().time() - clock_start,
            result.decided,
            recorded,
            sent,
            due,
        )
        if expired or recorded or result.sends or result.decided:
            self.generation += 1
        for listener in self._pass_listeners:
            listener(report)
        return report

    async def _send(self, result: PassResult, plan: Plan) -> tuple[int, bool]:
        sent = 0
        retry_soon = False
        for decision in result.sends:
            release = self._fleet.desired(decision.environment).get(decision.feature)
            state = self.runtime.environment(decision.environment)
            session = "" if state.agent is None else state.agent.session_id
            now = self._clock()
            try:
                instruction = await build_instruction(decision, release, self._locator)
            except ChartNotPublished as exc:
                unsent = deploy_of(decision, decision.namespace, 0.0, plan.revision.id, "", now)
                self._records.deploys(self.runtime.failed_to_send(unsent, str(exc)))
                continue
            deadline = instruction.timeout + self.config.timeout_margin
            deploy = deploy_of(
                decision, instruction.namespace, deadline, plan.revision.id, session, now
            )
            delivery = await self._agents.send(decision.environment, instruction)
            if delivery is Delivery.QUEUED:
                self._records.deploys(self.runtime.sent(deploy))
                sent += 1
            elif delivery is Delivery.TOO_LARGE:
                error = "the instruction is larger than the agent protocol's message limit"
                self._records.deploys(self.runtime.failed_to_send(deploy, error))
            else:
                retry_soon = True  # offline or a full outbox: the same id on the next pass
        return sent, retry_soon

    # -- events --------------------------------------------------------------------------------

    async def _consume_events(self) -> None:
        async for event in self._agents.events():
            try:
                self.take(event)
            except Exception:
                logger.exception("agent event not taken: %r", event)

    def take(self, event: AgentEvent) -> None:
        """Take one agent event into the run-time state and the store, waking a pass where it
        may change a decision. `run()` takes each of the hub's events; tests that drive passes
        themselves (`run_pass`, an injected clock) hand events over here."""
        runtime = self.runtime
        if not isinstance(event, ProgressReported | HeartbeatReceived):
            self.generation += 1
        if isinstance(event, ProgressReported):
            self._records.logs(event)
        elif isinstance(event, InstructionAcked):
            acked = runtime.acked(event)
            if acked is not None:
                self._records.deploy(acked)
        elif isinstance(event, ResultReported):
            finished = runtime.result(event)
            if finished is not None:
                self._records.deploy(finished)
            self.wake()  # dependents go as soon as their dependency is deployed
        elif isinstance(event, AgentConnected):
            runtime.connected(event)
            self._records.inventory(event)
            self.wake()
        elif isinstance(event, InventoryReported):
            runtime.inventory(event)
            self._records.inventory(event)
            self.wake()
        elif isinstance(event, AgentDisconnected):
            runtime.disconnected(event)
            self.wake()
        elif isinstance(event, HeartbeatReceived):
            runtime.heartbeat(event)
