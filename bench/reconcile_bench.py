"""Benchmark: reconcile passes over 1,000 environments x 50 features (50,000 releases).

Run: `make bench` (or `.venv/bin/python -m bench.reconcile_bench`). Prints the figures;
docs/benchmarks.md records them with the machine and date. Nothing here asserts a time.

The reconciler runs as in `fasit serve`, with a SQLite status store, but its agent channel
is silent (instructions are accepted, no agent answers): what is measured is the pass itself.
Every environment has an agent connected that runs every desired release at its hash (a
converged fleet), so:

- first pass: every environment decided (50,000 `unchanged`), every decision recorded;
- idle pass: nothing changed (median of RUNS), the goal is under 200 ms with no per-item I/O
  (the count of decisions recorded is the count of rows written);
- one assignment changed: its version bumped in the state, the next revision planned
  incrementally, then the pass that sends the upgrade (fleet cap 50) and records decisions.

With `--waves`, the state also holds a Rollout `default` that every feature follows, in three
waves by the `stage` label (dev, then staging and prod after a soak): each pass also works
out where every environment stands in every change, and the bump reaches only the first wave.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from bench.fleet import write_fleet
from bench.plan_bench import charts_of
from bench.validate_bench import machine
from fasit.agents import AgentConnected, AgentEvent, Delivery, Instruction, ReleaseState
from fasit.charts import ResolvedChart
from fasit.plan import Plan, Planner
from fasit.reconcile import ChartLocator, ChartReference, Reconciler, SqliteStatusStore
from fasit.state import DirectoryTree, Revision, SnapshotBuilder

RUNS = 15
TENANTS = 20  # x 50 environments each
FEATURES = 50
BUMPED = "assignments/feature-000.yaml"
WAVES = """apiVersion: fasit/v1
kind: Rollout
name: default
waves:
  - name: dev
    target: {stage: dev}
  - name: staging
    target: {stage: staging}
    soak: 10m
  - name: prod
    target: {stage: prod}
    soak: 1h
"""


class SilentAgents:
    """Accepts every instruction; no agent ever answers."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, environment: str, instruction: Instruction) -> Delivery:
        self.sent += 1
        return Delivery.QUEUED

    def expect(self, environment: str, instruction_id: str) -> None:
        """Nothing was sent before: no agent answers anyway."""

    async def events(self) -> AsyncIterator[AgentEvent]:
        await asyncio.Event().wait()
        yield  # type: ignore[misc]  # never reached: an iterator that never yields


def converged(plan: Plan) -> dict[str, tuple[ReleaseState, ...]]:
    """What each environment's agent reports when it runs every desired release."""
    running: dict[str, list[ReleaseState]] = {}
    now = datetime.now(UTC)
    for (environment, feature), release in plan.releases.items():
        running.setdefault(environment, []).append(
            ReleaseState(
                feature,
                release.namespace,
                feature,
                release.version,
                release.release_hash or "",
                "deployed",
                1,
                now,
            )
        )
    return {environment: tuple(states) for environment, states in running.items()}


async def in_place(chart: ResolvedChart) -> ChartReference:
    """In-repo charts by their directory: nothing here downloads a chart."""
    return ChartReference(chart.location, chart.digest)


async def measure(root: Path) -> None:
    builder = SnapshotBuilder()
    planner = Planner()
    first = builder.build(DirectoryTree(root), Revision("r1", str(root), datetime.now(UTC)))
    plan = planner.plan(first, charts_of(first))
    agents = SilentAgents()
    locator = ChartLocator(in_place)
    reconciler = Reconciler(agents, SqliteStatusStore(root / "status.db"), locator)
    await reconciler.open()
    for environment, releases in converged(plan).items():
        reconciler.runtime.connected(
            AgentConnected(environment, "s-1", datetime.now(UTC), "bench", releases, "", "bench")
        )
    reconciler.update_plan(plan)
    first_pass = await reconciler.run_pass()
    idle = [await reconciler.run_pass() for _ in range(RUNS)]

    text = (root / BUMPED).read_text(encoding="utf-8")
    (root / BUMPED).write_text(text.replace('version: "1.0.0"', 'version: "1.1.0"', 1))
    started = time.perf_counter()
    second = builder.build(DirectoryTree(root), Revision("r2", str(root), datetime.now(UTC)))
    second_plan = planner.plan(second, charts_of(second))
    planned = time.perf_counter() - started
    started = time.perf_counter()
    reconciler.update_plan(second_plan)
    handed = time.perf_counter() - started
    changed = await reconciler.run_pass()
    after = [await reconciler.run_pass() for _ in range(RUNS)]

    print(f"machine: {machine()}, Python {platform.python_version()}")
    if plan.rollouts:
        rolling = len(reconciler.rollouts())
        print(f"waves: every feature follows Rollout default ({rolling} changes rolling)")
    print(
        f"fleet: {len(plan.environments)} environments x {FEATURES} features = "
        f"{len(plan.releases)} releases, all running at their desired hash"
    )
    print(
        f"first pass:                    {first_pass.seconds * 1000:8.0f} ms"
        f"  ({first_pass.decided} environments decided, {first_pass.rows} decisions recorded)"
    )
    idle_ms = statistics.median(r.seconds for r in idle) * 1000
    print(
        f"idle pass (median of {RUNS}):     {idle_ms:8.2f} ms"
        f"  (max {max(r.seconds for r in idle) * 1000:.2f} ms;"
        f" {max(r.decided for r in idle)} decided, {sum(r.rows for r in idle)} recorded)"
    )
    print(f"one assignment bumped: rebuild + charts + incremental plan {planned * 1000:.0f} ms")
    print(f"  hand the plan to the reconciler:           {handed * 1000:8.1f} ms")
    print(
        f"  the pass after it:                         {changed.seconds * 1000:8.1f} ms"
        f"  ({changed.decided} decided, {changed.rows} recorded, {changed.sent} sent)"
    )
    print(
        f"  idle pass after it (median):               "
        f"{statistics.median(r.seconds for r in after) * 1000:8.2f} ms"
    )
    await reconciler.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--waves", action="store_true", help="every feature follows a Rollout of three waves"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fasit-reconcile-") as directory:
        root = Path(directory)
        write_fleet(root, tenants=TENANTS, features=FEATURES, targets=({},))
        if args.waves:
            (root / "rollouts").mkdir()
            (root / "rollouts" / "default.yaml").write_text(WAVES, encoding="utf-8")
        asyncio.run(measure(root))


if __name__ == "__main__":
    main()
