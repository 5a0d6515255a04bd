"""A pass decides an environment again when the plan's word on its orphans changes, even if
none of its desired releases did (the planner carries unchanged releases over)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fasit.agents import AgentConnected
from fasit.plan import Plan, Planner, validate_tree
from fasit.reconcile import Decision, FleetDecider, Reason, ReconcileConfig, Runtime
from fasit.state import DirectoryTree, Revision
from tests import states
from tests.helpers import write_tree
from tests.unit.reconcile.support import NOW, orphan


def _plan(root: Path, planner: Planner, *, prune: bool) -> Plan:
    """nav/dev and a Feature `cache` no assignment reaches, pruning or not, as revision
    `prune-<prune>`."""
    files = states.state(states.environment("nav", "dev"), states.feature("cache", prune=prune))
    tree = DirectoryTree(write_tree(root, files))
    return validate_tree(tree, revision=Revision(f"prune-{prune}", "t", NOW), planner=planner).plan


def test_an_orphan_whose_feature_starts_pruning_is_uninstalled_in_the_next_pass(
    tmp_path: Path,
) -> None:
    planner = Planner()
    decider = FleetDecider(ReconcileConfig())
    decider.set_plan(_plan(tmp_path, planner, prune=False))
    runtime = Runtime()
    runtime.connected(
        AgentConnected("nav/dev", "s-1", NOW, "1", (orphan("cache"),), "", "ipv4:127.0.0.1:1")
    )
    kept = decider.decide(runtime, NOW)

    decider.set_plan(_plan(tmp_path, planner, prune=True))  # no desired release changes
    pruned = decider.decide(runtime, NOW + timedelta(seconds=1))

    assert _reasons(kept.decisions["nav/dev"]) == [("cache", Reason.ORPHAN)]
    assert _reasons(pruned.decisions.get("nav/dev", [])) == [("cache", Reason.UNINSTALL)]
    assert _reasons(pruned.sends) == [("cache", Reason.UNINSTALL)]


def _reasons(decisions: list[Decision]) -> list[tuple[str, Reason]]:
    return [(decision.feature, decision.reason) for decision in decisions]
