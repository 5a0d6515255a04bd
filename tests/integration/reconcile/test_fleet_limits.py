"""The circuit breaker over real sessions: a new revision that changes the rollout closes it.
(Pass by pass, the limits are specified in fake time: tests/unit/reconcile/test_pass_limits.py.)"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fasit.reconcile import Limits, Reason
from naisd import FakeExecutor
from tests import states
from tests.integration.reconcile.conftest import QUIET
from tests.integration.reconcile.support import Fleet, runs


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
        fleet.publish(*states.web_everywhere(3))
        await fleet.until_decided("fleet/e2", "web", lambda d: d.reason is Reason.CIRCUIT_OPEN)

        for executor in failing:
            executor.failing = False  # 1.0.1 fixes what made 1.0.0 fail
        fleet.publish(*states.web_everywhere(3, version="1.0.1"))

        await fleet.until_status("fleet/e2", "web", "DEPLOYED")
        assert len(runs(healthy)) == 1
        assert [len(runs(e)) for e in failing] == [2, 2]
    finally:
        await fleet.close()
