"""Benchmark: the planner on the generated fleet, and `fasit validate` with render checks.

Run: `make bench` (or `.venv/bin/python -m bench.plan_bench`). Prints the figures;
docs/benchmarks.md records them with the machine and date. Nothing here asserts a time.

- full plan: every targeted (environment, feature) pair rendered (10 computed values each, 5
  also config), in process, median of several planners;
- one-assignment re-plan: one assignment's version bumped, the next revision planned by the
  planner that planned the first (only the pairs that assignment reaches are rendered);
- validate vs floor: the whole `fasit validate` process against the libyaml parse floor.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from bench.fleet import write_fleet
from bench.validate_bench import FLOOR, machine, median_wall
from fasit.charts import InRepoCharts
from fasit.memory import one_shot
from fasit.plan import ChartSet, Planner, resolve_charts
from fasit.state import (
    DirectoryTree,
    LoadLimits,
    Revision,
    Snapshot,
    SnapshotBuilder,
)

P = ParamSpec("P")
R = TypeVar("R")
RUNS = 5
BUMPED = "assignments/feature-000.yaml"


def charts_of(snapshot: Snapshot) -> ChartSet:
    """The chart stage as validate runs it."""
    tree = snapshot.tree
    charts, _ = resolve_charts(
        snapshot.index, InRepoCharts(tree, snapshot.load.entries, LoadLimits()), None
    )
    return charts


def bumped(text: str, version: str) -> str:
    """The assignments file with its first assignment at `version`."""
    first, separator, rest = text.partition("---\n")
    head, _, tail = first.partition('version: "')
    return head + f'version: "{version}"' + tail.partition('"')[2] + separator + rest


def timed(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> tuple[float, R]:
    """Seconds `function` took, and what it returned."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    argparse.ArgumentParser(description=__doc__.partition("\n")[0]).parse_args()  # --help only
    # In process as a one-shot command runs (fasit.memory): the collector off.
    with one_shot(), tempfile.TemporaryDirectory(prefix="fasit-fleet-") as directory:
        root = Path(directory)
        write_fleet(root)
        builder = SnapshotBuilder()
        first = builder.build(DirectoryTree(root), Revision("r1", str(root), datetime.now(UTC)))
        charts = charts_of(first)
        full_runs = []
        for _ in range(RUNS):
            seconds, plan = timed(Planner().plan, first, charts)
            full_runs.append(seconds)
        full = statistics.median(full_runs)
        pairs = len(plan.releases)
        planned = sum(1 for release in plan.releases.values() if release.planned)

        replans, rebuilds, chart_times, rendered = [], [], [], []
        for run in range(RUNS):
            planner = Planner()
            planner.plan(first, charts)
            text = (root / BUMPED).read_text(encoding="utf-8")
            version = "1.1.0" if run % 2 == 0 else "1.0.0"
            (root / BUMPED).write_text(
                text.replace('version: "1.0.0"', f'version: "{version}"', 1).replace(
                    'version: "1.1.0"', f'version: "{version}"', 1
                ),
                encoding="utf-8",
            )
            seconds, second = timed(
                builder.build,
                DirectoryTree(root),
                Revision(f"r{run + 2}", str(root), datetime.now(UTC)),
            )
            rebuilds.append(seconds)
            seconds, second_charts = timed(charts_of, second)
            chart_times.append(seconds)
            seconds, replan = timed(planner.plan, second, second_charts)
            replans.append(seconds)
            rendered.append(replan.rendered)
            (root / BUMPED).write_text(text, encoding="utf-8")
        replan_s = statistics.median(replans)

        validate_s, _ = median_wall([sys.executable, "-m", "fasit", "validate", str(root)])
        floor_s, _ = median_wall([sys.executable, "-c", FLOOR, str(root)])

    print(f"machine: {machine()}, Python {platform.python_version()}")
    print(f"pairs planned: {pairs} ({planned} planned), 10 computed values each, 5 also config")
    print(
        f"full plan (in process):        {full * 1000:8.0f} ms"
        f"  ({full / pairs * 1e6:.1f} µs per pair)"
    )
    print(
        f"one-assignment re-plan:        {replan_s * 1000:8.1f} ms"
        f"  ({statistics.median(rendered):.0f} pairs rendered)"
    )
    print(f"  full / re-plan:              {full / replan_s:8.0f}x")
    print(f"  snapshot rebuild before it:  {statistics.median(rebuilds) * 1000:8.1f} ms")
    print(f"  chart resolution before it:  {statistics.median(chart_times) * 1000:8.1f} ms")
    print(f"floor (libyaml parse):         {floor_s * 1000:8.0f} ms")
    print(f"fasit validate (render checks):{validate_s * 1000:8.0f} ms")
    print(f"ratio validate / floor:        {validate_s / floor_s:8.2f}x")


if __name__ == "__main__":
    main()
