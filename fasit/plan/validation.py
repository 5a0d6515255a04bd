"""The one build: the snapshot (tree → documents → cross-checks → targeting), then the checks
each assigned version's Feature.yaml makes possible (charts, dependencies, kinds, configs),
then the plan of every (environment, feature) pair with what stops any of them.

It ends where the plan does, so it lives with the plan: `fasit validate`, `plan` and
`explain` run it; the server builds the same snapshot with `SnapshotBuilder` and meets
the chart-stage outcomes as statuses of single releases. Every stage's problems are kept, so
one run reports everything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from fasit.charts import ChartOutcome, InRepoCharts, OciWanted
from fasit.plan.feature_checks import (
    ChartSet,
    check_features,
    oci_charts_wanted,
    resolve_charts,
)
from fasit.plan.planner import Planner
from fasit.plan.release_checks import release_problems
from fasit.plan.revision_plan import Plan
from fasit.state import (
    LoadLimits,
    Problem,
    Revision,
    Snapshot,
    Tree,
    build_snapshot,
)

__all__ = ["FetchOci", "Validation", "validate_tree"]


@dataclass(frozen=True, slots=True)
class Validation:
    """Everything the build produced, and every problem, in reading order."""

    snapshot: Snapshot
    charts: ChartSet
    plan: Plan
    problems: tuple[Problem, ...]


# Resolves the oci:// chart versions a build wants (OciCharts.resolve, run to completion).
FetchOci = Callable[[list[OciWanted]], Mapping[tuple[str, str], ChartOutcome]]


def validate_tree(
    tree: Tree,
    limits: LoadLimits | None = None,
    revision: Revision | None = None,
    planner: Planner | None = None,
    fetch_oci: FetchOci | None = None,
) -> Validation:
    """Build and check the state held by `tree` (at `revision`, when it is known).

    Releases are planned by `planner` (default: one without secrets, placeholders only).
    oci:// charts are fetched by `fetch_oci`; without it they are not checked (offline).
    """
    limits = limits or LoadLimits()
    revision = revision or Revision(tree.description, tree.description, datetime.now(UTC))
    snapshot = build_snapshot(tree, revision, limits)
    wanted = oci_charts_wanted(snapshot.index)
    oci = None if fetch_oci is None else fetch_oci(wanted) if wanted else {}
    charts, chart_problems = resolve_charts(
        snapshot.index, InRepoCharts(tree, snapshot.load.entries, limits), oci
    )
    feature_problems = check_features(snapshot.index, snapshot.targeting, charts)
    plan = (planner or Planner()).plan(snapshot, charts)
    problems = sorted(
        [*snapshot.problems, *chart_problems, *feature_problems, *release_problems(plan)],
        key=lambda p: p.sort_key,
    )
    return Validation(snapshot, charts, plan, tuple(problems))
