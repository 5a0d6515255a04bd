"""Benchmark: the fleet matrix (/matrix and its twin /api/v1/matrix) at 1,000 environments by
200 features, beside the overview, rendered server-side.

Run: `.venv/bin/python -m bench.matrix_bench` (`--help` for sizes and runs). Prints the
figures; docs/benchmarks.md records them with the machine and date. Nothing here asserts a time.

The fleet and the app are made as in `bench.web_bench`'s render part (its `Served`): the
generated fleet (`bench/fleet.py`) with 20 tenants x 50 environments and 200 features, every
feature assigned everywhere (200,000 releases), a SQLite status store, an agent connected in
every environment running every desired release (a converged fleet) and a first pass; then
the ASGI app is called directly, so what is timed is routing, the page's data, Jinja or JSON,
and the body.

- warm: the same reconciler generation (the fleet summary reused), N runs per target: the
  default window (50 environments x 200 features = 10,000 cells), a window in the middle of
  the fleet, the widest window (200 columns), a label filter, and the overview beside them;
- cold: the generation incremented by hand before each run (what every pass or agent event
  that may change a status does), so the request makes the fleet summary again.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import tempfile
import time
from pathlib import Path

from bench.fleet import ENVIRONMENTS_PER_TENANT, write_fleet
from bench.validate_bench import machine
from bench.web_bench import GOAL_MS, GcClock, Sample, Served, timed_get
from bench.web_load import percentile
from fasit.reconcile import SqliteStatusStore
from fasit.serve import ServeMemory

WARM = (
    "/",
    "/api/v1/overview",
    "/matrix",
    "/api/v1/matrix",
    "/matrix?envs_from=t10/e00",
    "/api/v1/matrix?envs_from=t10/e00",
    "/matrix?limit=200",
    "/matrix?label=stage=prod",
)
COLD = ("/", "/matrix", "/api/v1/matrix")


def line(target: str, samples: list[Sample]) -> str:
    times = [sample.ms for sample in samples]
    slowest = max(samples, key=lambda sample: sample.ms)
    return (
        f"    {target:36} median {statistics.median(times):7.1f}   p99 "
        f"{percentile(times, 0.99):7.1f}   max {slowest.ms:7.1f}"
        f"   ({samples[-1].size:,} bytes; slowest run {slowest.gc_ms:.0f} ms in gc)"
    )


async def measure(tenants: int, features: int, warm_runs: int, cold_runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="fasit-matrix-") as directory, GcClock() as clock:
        root = Path(directory) / "state"
        write_fleet(root, tenants=tenants, features=features, targets=({},))
        started = time.perf_counter()
        served = Served(root, SqliteStatusStore(Path(directory) / "status.db"), ServeMemory())
        reconciler = served.reconciler
        running, _ = await served.converge()
        prepared = time.perf_counter() - started
        _, app = served.app(running)
        plan = served.planned[1]

        first = {target: await timed_get(app, target, clock) for target in WARM[:4]}
        warm = {}
        for target in WARM:
            await timed_get(app, target, clock)
            warm[target] = [await timed_get(app, target, clock) for _ in range(warm_runs)]
        cold: dict[str, list[Sample]] = {}
        for target in COLD:
            cold[target] = []
            for _ in range(cold_runs):
                reconciler.generation += 1
                cold[target].append(await timed_get(app, target, clock))
        await reconciler.stop()
        await served.status_store.close()

    print(f"machine: {machine()}, Python {platform.python_version()}")
    print(
        f"matrix: {len(plan.environments)} environments x {features} features = "
        f"{len(plan.releases)} releases, all running at their desired hash "
        f"(prepared in {prepared:.1f} s); in process, ASGI called directly; times in ms"
    )
    for target, sample in first.items():
        print(f"  first request {target:34} {sample.ms:8.1f}  ({sample.size:,} bytes)")
    print(f"  warm: same generation, {warm_runs} runs each (goal < {GOAL_MS:.0f})")
    for target, samples in warm.items():
        print(line(target, samples))
    print(f"  cold: generation incremented by hand before each of {cold_runs} runs")
    for target, samples in cold.items():
        print(line(target, samples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--tenants",
        type=int,
        default=20,
        help=f"tenants of {ENVIRONMENTS_PER_TENANT} environments (default 20)",
    )
    parser.add_argument("--features", type=int, default=200, help="(200)")
    parser.add_argument("--warm-runs", type=int, default=50, help="per target (50)")
    parser.add_argument("--cold-runs", type=int, default=10, help="per target (10)")
    args = parser.parse_args()
    asyncio.run(measure(args.tenants, args.features, args.warm_runs, args.cold_runs))


if __name__ == "__main__":
    main()
