"""A pass applies the prune budget: an uninstall refused while the window is full goes in the
pass that is due when the oldest counted uninstall leaves it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fasit.agents import Action, AgentConnected
from fasit.reconcile import Deploy, DeployState, FleetDecider, Reason, ReconcileConfig, Runtime
from tests import states
from tests.unit.reconcile.support import NOW, orphan


def test_a_refused_uninstall_goes_when_the_window_moves_on(tmp_path: Path) -> None:
    files = states.state(
        states.environment("nav", "dev"),
        states.feature("old", prune=True),
        states.feature("cache", prune=True),
    )
    decider = FleetDecider(ReconcileConfig())
    decider.set_plan(states.build(tmp_path, files).plan)
    runtime = Runtime()
    gone = Deploy(
        "id-old", "nav/dev", "old", Action.UNINSTALL, "0.1.0", "sha256:old", "rev-0", 1,
        DeployState.UNINSTALLED, NOW - timedelta(minutes=59), NOW, NOW,
    )  # fmt: skip
    runtime.restore([gone])  # as a restarted controller takes it back from the status store
    runtime.connected(
        AgentConnected("nav/dev", "s-1", NOW, "1", (orphan("cache"),), "", "ipv4:127.0.0.1:1")
    )

    held = decider.decide(runtime, NOW)
    freed = decider.decide(runtime, NOW + timedelta(minutes=1))

    assert [d.reason for d in held.decisions["nav/dev"]] == [Reason.PRUNE_REFUSED]
    assert held.sends == []
    assert held.due == NOW + timedelta(minutes=1)
    assert [(d.feature, d.reason) for d in freed.sends] == [("cache", Reason.UNINSTALL)]
