"""The one build: tree → documents → cross-checks → charts → targeting → Feature.yaml checks.

`fasit validate` runs it, and so will the snapshot builder: one build, two callers, the same
problems. Each stage runs on what the stages before it left consistent, and every stage's
problems are kept, so one run reports everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from fasit.charts import InRepoCharts
from fasit.plan import ChartSet, Targeting, check_features, resolve_charts, target
from fasit.state import LoadLimits, LoadResult, Problem, StateIndex, Tree, cross_check, load_state

__all__ = ["Validation", "validate_tree"]


@dataclass(frozen=True, slots=True)
class Validation:
    """Everything the build produced, and every problem, in reading order."""

    load: LoadResult
    index: StateIndex
    charts: ChartSet
    targeting: Targeting
    problems: tuple[Problem, ...]


def validate_tree(tree: Tree, limits: LoadLimits | None = None) -> Validation:
    """Build and check the state held by `tree`."""
    limits = limits or LoadLimits()
    load = load_state(tree, limits)
    index, cross_problems = cross_check(load.state)
    charts, chart_problems = resolve_charts(index, InRepoCharts(tree, load.entries, limits))
    targeting = target(index.environments.values(), index.assignments)
    feature_problems = check_features(index, targeting, charts)
    problems = sorted(
        [*load.problems, *cross_problems, *chart_problems, *targeting.problems, *feature_problems],
        key=lambda problem: problem.sort_key,
    )
    return Validation(load, index, charts, targeting, tuple(problems))
