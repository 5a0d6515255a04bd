"""Fleet-wide behaviour: only the delta is sent, the circuit breaker, the fleet cap."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from fasit.reconcile import Limits, Reason
from naisd import FakeExecutor
from tests import states
from tests.integration.reconcile.conftest import QUIET
from tests.integration.reconcile.support import Fleet, Gated, runs
from tests.integration.waiting import eventually

FEATURES = [f"f{i:03}" for i in range(100)]
FLEET = [f"fleet/e{i}" for i in range(3)]


def hundred_features(bumped: str | None = None) -> list[dict[str, str]]:
    """100 features everywhere at 1.0.0; fleet/e2 pinned to 1.0.0 by a narrower assignment."""
    parts = [states.environment("fleet", f"e{i}") for i in range(3)]
    for name in FEATURES:
        version = "1.1.0" if name == bumped else "1.0.0"
        parts += [
            states.feature(name),
            states.chart(name, "1.0.0"),
            states.chart(name, version),
            states.assignment(name, version, {}),
        ]
    if bumped is not None:
        parts.append(states.assignment(bumped, "1.0.0", {"env": "e2"}))
    return parts


async def test_a_second_pass_after_bumping_one_of_100_features_sends_only_the_delta(
    tmp_path: Path,
) -> None:
    fleet = Fleet(tmp_path, reconcile=replace(QUIET, limits=Limits(per_environment=100)))
    await fleet.start()
    try:
        executors = [fleet.connect(environment) for environment in FLEET]
        fleet.publish(*hundred_features())
        await eventually(
            lambda: sum(len(runs(e)) for e in executors) == 300, "300 first deploys", 60
        )
        await fleet.until_status("fleet/e2", "f099", "DEPLOYED")

        fleet.publish(*hundred_features(bumped="f042"))
        await fleet.until_status("fleet/e0", "f042", "DEPLOYED")
        await fleet.until_status("fleet/e1", "f042", "DEPLOYED")
        fleet.running.wake()
        await asyncio.sleep(0.2)

        assert [len(runs(e)) for e in executors] == [101, 101, 100]
    finally:
        await fleet.close()


async def test_the_circuit_breaker_stops_a_failing_rollout_after_k_environments(
    tmp_path: Path,
) -> None:
    limits = Limits(per_environment=1, fleet=1, circuit_threshold=3)
    fleet = Fleet(tmp_path, reconcile=replace(QUIET, limits=limits))
    await fleet.start()
    try:
        executors = [
            fleet.connect(f"fleet/e{i}", FakeExecutor(f"fleet/e{i}", failing=True, delay=(0, 0)))
            for i in range(5)
        ]
        await fleet.until_connected(*(f"fleet/e{i}" for i in range(5)))
        fleet.publish(*_web_everywhere(5))

        await fleet.until_decided("fleet/e4", "web", lambda d: d.reason is Reason.CIRCUIT_OPEN)
        fleet.running.wake()
        await asyncio.sleep(0.2)

        assert [len(runs(e)) for e in executors] == [1, 1, 1, 0, 0]
        decision = fleet.decision("fleet/e3", "web")
        assert decision is not None
        assert decision.reason is Reason.CIRCUIT_OPEN
        assert decision.message.startswith("circuit open: web 1.0.0 failed in 3 environments")
        assert "fleet/e0: simulated failure" in decision.message
    finally:
        await fleet.close()


async def test_a_new_revision_that_changes_the_rollout_closes_the_circuit(
    tmp_path: Path,
) -> None:
    limits = Limits(per_environment=1, fleet=1, circuit_threshold=2)
    fleet = Fleet(tmp_path, reconcile=replace(QUIET, limits=limits))
    await fleet.start()
    try:
        failing = [FakeExecutor(f"fleet/e{i}", failing=True, delay=(0, 0)) for i in range(2)]
        for executor in failing:
            fleet.connect(executor.environment, executor)
        healthy = fleet.connect("fleet/e2")
        await fleet.until_connected("fleet/e0", "fleet/e1", "fleet/e2")
        fleet.publish(*_web_everywhere(3))
        await fleet.until_decided("fleet/e2", "web", lambda d: d.reason is Reason.CIRCUIT_OPEN)

        for executor in failing:
            executor.failing = False  # 1.0.1 fixes what made 1.0.0 fail
        fleet.publish(*_web_everywhere(3, version="1.0.1"))

        await fleet.until_status("fleet/e2", "web", "DEPLOYED")
        assert len(runs(healthy)) == 1
        assert [len(runs(e)) for e in failing] == [2, 2]
    finally:
        await fleet.close()


async def test_the_fleet_cap_holds(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path, reconcile=replace(QUIET, limits=Limits(fleet=3)))
    await fleet.start()
    try:
        gated = [Gated(f"fleet/e{i}") for i in range(10)]
        for executor in gated:
            fleet.connect(executor.inner.environment, executor)
        fleet.publish(*_web_everywhere(10))

        await eventually(lambda: sum(len(g.runs) for g in gated) == 3, "3 deploys started")
        fleet.running.wake()
        await asyncio.sleep(0.2)
        assert sum(len(g.runs) for g in gated) == 3
        held = fleet.decision(next(g.inner.environment for g in gated if not g.runs), "web")
        assert held is not None
        assert held.reason is Reason.QUEUED
        assert held.message.endswith("held: fleet cap: 3 instructions in flight")
        assert Reason.DEPLOY not in await fleet.decision_log(held.environment, "web")

        for executor in gated:
            executor.gate.set()
        await eventually(lambda: all(len(g.runs) == 1 for g in gated), "all 10 deployed")
    finally:
        await fleet.close()


def _web_everywhere(count: int, version: str = "1.0.0") -> list[dict[str, str]]:
    return [
        *(states.environment("fleet", f"e{i}") for i in range(count)),
        states.feature("web"),
        states.chart("web", version),
        states.assignment("web", version, {}),
    ]
