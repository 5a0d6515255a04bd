"""A pass applies the prune budget: an uninstall refused while the window is full goes in the
pass that is due when the oldest counted uninstall leaves it; replicas sharing a fleet count
the others' uninstalls and releases, and each spends only its slice of what is left."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from fasit.agents import Action, AgentConnected
from fasit.reconcile import (
    Decision,
    Deploy,
    DeployState,
    FleetDecider,
    PassResult,
    Reason,
    ReconcileConfig,
    Runtime,
)
from fasit.reconcile.prune_budget import SharedPruning
from fasit.reconcile.shares import shared_pruning
from fasit.reconcile.store import InventoryRecord, Recovered
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


OWN = ("nav/a", "nav/b", "nav/c", "nav/d")
NAMES = ("a", "b", "c", "d")
OTHERS_RUNNING = frozenset((f"t/e{n}", "web") for n in range(36))


def replica_with_orphans(
    tmp_path: Path, replicas: int, leader: bool
) -> tuple[FleetDecider, Runtime]:
    """A replica owning four environments, each agent running a release of a feature that
    prunes."""
    files = states.state(
        *(states.environment("nav", name) for name in NAMES),
        states.feature("old", prune=True),
    )
    decider = FleetDecider(ReconcileConfig(shared_refresh=5.0))
    decider.set_plan(states.build(tmp_path, files).plan)
    decider.replicas, decider.leader = replicas, leader
    runtime = Runtime()
    for n, name in enumerate(OWN):
        running = (orphan("old"),)
        runtime.connected(AgentConnected(name, f"s-{n}", NOW, "1", running, "", "ipv4:127.0.0.1:1"))
    return decider, runtime


def uninstalled(result: PassResult) -> list[str]:
    return [d.environment for d in result.sends if d.reason is Reason.UNINSTALL]


def refused(result: PassResult) -> list[Decision]:
    return [d for ds in result.decisions.values() for d in ds if d.reason is Reason.PRUNE_REFUSED]


def test_uninstalls_other_replicas_sent_spend_the_fleets_budget(tmp_path: Path) -> None:
    decider, runtime = replica_with_orphans(tmp_path, replicas=2, leader=True)
    theirs = {("t/e0", "old", "sha256:old"): NOW - timedelta(minutes=10)}
    decider.others_pruning = SharedPruning(theirs, frozenset(), NOW)

    result = decider.decide(runtime, NOW)

    # 10 % of 5 managed releases (four here, one uninstalled there), at least 1: spent there.
    assert uninstalled(result) == []
    assert refused(result)[0].message.startswith(
        "prune budget spent: 1 of 1 uninstalls in the last 1h"
    )


def test_a_replica_spends_only_its_slice_of_what_is_left_until_the_next_read(
    tmp_path: Path,
) -> None:
    decider, runtime = replica_with_orphans(tmp_path, replicas=2, leader=False)
    decider.others_pruning = SharedPruning({}, OTHERS_RUNNING, NOW)

    result = decider.decide(runtime, NOW)

    # 10 % of 40 managed releases: 4 left, 2 for each of the two replicas.
    assert uninstalled(result) == ["nav/a", "nav/b"]
    held = refused(result)
    assert sorted(d.environment for d in held) == ["nav/c", "nav/d"]
    assert "this replica's part of the rest is spent (2 replicas share" in held[0].message
    assert result.due == NOW + timedelta(seconds=5)


def test_the_leader_takes_the_remainder_of_the_budget(tmp_path: Path) -> None:
    decider, runtime = replica_with_orphans(tmp_path, replicas=3, leader=True)
    decider.others_pruning = SharedPruning({}, OTHERS_RUNNING, NOW)

    result = decider.decide(runtime, NOW)

    # 4 left among three replicas: 1 each, and the leader 1 more.
    assert uninstalled(result) == ["nav/a", "nav/b"]


def test_the_store_shows_other_replicas_uninstalls_and_the_releases_fasit_runs_there() -> None:
    def removal(instruction: str, sent: datetime) -> Deploy:
        return Deploy(
            instruction, "t/e0", "old", Action.UNINSTALL, "0.1.0", "sha256:old", "rev-1", 1,
            DeployState.UNINSTALLED, sent, sent, sent,
        )  # fmt: skip

    inventory = InventoryRecord(
        "t/e1", NOW, (orphan("web", "sha256:web"), orphan("by-hand", release_hash=""))
    )
    theirs = Recovered(
        deploys=[removal("id-1", NOW - timedelta(minutes=9)), removal("id-2", NOW)],
        inventories={"t/e1": inventory},
    )

    shared = shared_pruning(theirs, NOW)

    assert shared.uninstalls == {("t/e0", "old", "sha256:old"): NOW}
    assert shared.running == {("t/e1", "web")}
