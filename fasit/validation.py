"""The one build: tree → documents → cross-checks → charts → targeting → Feature.yaml checks.

`fasit validate` runs it, and so will the snapshot builder: one build, two callers, the same
problems. Each stage runs on what the stages before it left consistent, and every stage's
problems are kept, so one run reports everything.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
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
    with _collector_paused():
        return _build(tree, limits or LoadLimits())


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the build allocates.

    A build makes hundreds of thousands of long-lived, acyclic objects (YAML nodes, models);
    every gen-2 pass would re-walk all of them, which measured as half the build time on the
    benchmark fleet. Anything cyclic left behind is collected once the collector is back.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(tree: Tree, limits: LoadLimits) -> Validation:
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
