"""The one build: the snapshot (tree → documents → cross-checks → targeting), then the checks
each assigned version's Feature.yaml makes possible (charts, dependencies, kinds, configs),
then the plan of every (environment, feature) pair with what stops any of them.

`fasit validate` runs it; the server builds the same snapshot with `SnapshotBuilder` and meets
the chart-stage outcomes as statuses of single releases. Every stage's problems are kept, so
one run reports everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fasit.charts import InRepoCharts
from fasit.plan import ChartSet, Plan, Planner, check_features, release_problems, resolve_charts
from fasit.state import (
    LoadLimits,
    Problem,
    Revision,
    Snapshot,
    Tree,
    build_snapshot,
    collector_paused,
)

__all__ = ["Validation", "validate_tree"]


@dataclass(frozen=True, slots=True)
class Validation:
    """Everything the build produced, and every problem, in reading order."""

    snapshot: Snapshot
    charts: ChartSet
    plan: Plan
    problems: tuple[Problem, ...]


def validate_tree(
    tree: Tree,
    limits: LoadLimits | None = None,
    revision: Revision | None = None,
    planner: Planner | None = None,
) -> Validation:
    """Build and check the state held by `tree` (at `revision`, when it is known).

    Releases are planned by `planner` (default: one without secrets, placeholders only).
    """
    limits = limits or LoadLimits()
    revision = revision or Revision(tree.description, tree.description, datetime.now(UTC))
    snapshot = build_snapshot(tree, revision, limits)
    with collector_paused():
        charts, chart_problems = resolve_charts(
            snapshot.index, InRepoCharts(tree, snapshot.load.entries, limits)
        )
        feature_problems = check_features(snapshot.index, snapshot.targeting, charts)
    plan = (planner or Planner()).plan(snapshot, charts)
    problems = sorted(
        [*snapshot.problems, *chart_problems, *feature_problems, *release_problems(plan)],
        key=lambda p: p.sort_key,
    )
    return Validation(snapshot, charts, plan, tuple(problems))
