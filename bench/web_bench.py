"""Benchmark: the read-only web dashboard of `fasit serve`, rendered and under load.

Run: `.venv/bin/python -m bench.web_bench` (both parts; `--part render` or `--part load` for
one; `--help` for sizes and rates; `--profile` adds cProfile listings to the render part,
`--server-gc-log` relates the load part's latency to the server's collections). Prints the
figures; docs/benchmarks.md records them with the machine and date. Nothing here asserts a
time.

**render** (in process, as reconcile_bench): the generated fleet (`bench/fleet.py`) with 20
tenants x 50 environments and 100 features, every feature assigned everywhere: 100,000
releases. The snapshot is built, served by a `SnapshotStore` and planned; a `Reconciler` with
a SQLite status store and a silent agent channel has an agent connected in every environment
that runs every desired release at its hash (a converged fleet), and makes a first pass. The
app is then built as `fasit serve` builds it (`create_app` over a `ReadSide`, with the
metrics route and live updates; the chart-archive route left out) and called directly as an
ASGI app, so what is timed is routing, the page's data, Jinja or JSON, and the body. The
collector stays enabled, as in the server; each figure says how much of it was collection.

- first request: the very first GET /api/v1/overview after the pass (every environment's
  release views built, the fleet summary made), then GET / (templates compiled);
- cold: the first request after `reconciler.generation` was incremented by hand, which is
  what every pass or agent event that may change a status does: the request gathers the
  100,000 views again (each environment's are cached) and makes the fleet summary again;
- cold after a real pass: one agent reconnects (a new session), a pass decides that
  environment afresh, then the request;
- warm: the same generation, so the summary is reused; the other pages too;
- cold after a fleet-wide change: feature-000's assignment flips version (a new revision,
  planned, handed over, one pass that decides all 1,000 environments afresh), then the
  request, which builds all 100,000 release views again. Then a split of that case.

**load** (`bench/web_load.py`): `fasit serve --fake-agents` as a process on a smaller fleet,
converged first, then an open-loop load at a fixed rate while the state directory changes
every second (see that module's docstring).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import platform
import pstats
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.fleet import ENVIRONMENTS_PER_TENANT, write_fleet
from bench.plan_bench import bumped, charts_of
from bench.reconcile_bench import SilentAgents, converged, in_place
from bench.validate_bench import machine
from bench.web_load import load, percentile
from fasit.agents import AgentConnected
from fasit.plan import Plan, PlanHistory, Planner
from fasit.reconcile import (
    ChartLocator,
    PassReport,
    Reconciler,
    SqliteStatusStore,
)
from fasit.serve import ServeMemory
from fasit.state import DirectoryTree, Revision, Snapshot, SnapshotBuilder, SnapshotStore
from fasit.web import FasitMetrics, LiveUpdates, ReadSide, create_app
from fasit.web.summary import Summaries

GOAL_MS = 300.0
"""The issue's goal: the overview renders in under 300 ms."""

FLEET_WIDE_RUNS = 10
SPLIT_RUNS = 5
BUMPED = "assignments/feature-000.yaml"

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def get(app: ASGIApp, target: str) -> tuple[int, bytes]:
    """GET `target` (path and query) from the ASGI `app`: its status and body."""
    path, _, query = target.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8080"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }
    status = 0
    chunks: list[bytes] = []
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


class GcClock:
    """Every collection of the cyclic collector: its generation and how long it took."""

    def __init__(self) -> None:
        self.collections: list[tuple[int, float]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            took = (time.perf_counter() - self._started) * 1000
            self.collections.append((info["generation"], took))

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


@dataclass(frozen=True, slots=True)
class Sample:
    ms: float
    size: int
    gc_ms: float
    """Of `ms`, the time in collections of any generation."""
    full: int
    """Generation-2 collections during the request."""


async def timed_get(app: ASGIApp, target: str, clock: GcClock) -> Sample:
    """One GET, timed; a status other than 200 fails."""
    before = len(clock.collections)
    started = time.perf_counter()
    status, body = await get(app, target)
    took = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"GET {target}: {status} {body[:300]!r}")
    collected = clock.collections[before:]
    return Sample(
        took,
        len(body),
        sum(ms for _, ms in collected),
        sum(1 for generation, _ in collected if generation == 2),
    )


def cold_line(target: str, samples: list[Sample]) -> str:
    times = [sample.ms for sample in samples]
    slowest = max(samples, key=lambda sample: sample.ms)
    return (
        f"    {target:38} median {statistics.median(times):7.1f}   max {slowest.ms:7.1f}"
        f"   ({sum(s.full for s in samples)} gen-2 collections, the slowest run spent "
        f"{slowest.gc_ms:.0f} ms collecting)"
    )


def warm_line(target: str, samples: list[Sample]) -> str:
    times = [sample.ms for sample in samples]
    slowest = max(samples, key=lambda sample: sample.ms)
    return (
        f"    {target:38} median {statistics.median(times):7.2f}   p99 "
        f"{percentile(times, 0.99):7.2f}   max {slowest.ms:7.2f}"
        f"   ({samples[-1].size:,} bytes; slowest run {slowest.gc_ms:.0f} ms in gc)"
    )


class Served:
    """The fleet as `fasit serve` holds it: snapshot store, latest plan, plan history,
    reconciler; `bump()` makes the next revision as a commit would."""

    def __init__(self, root: Path, status_store: SqliteStatusStore, memory: ServeMemory) -> None:
        self.root = root
        self.memory = memory
        memory.start()  # as `fasit serve` runs: off until the first pass, then frozen
        self.builder = SnapshotBuilder()
        self.planner = Planner()
        self.store = SnapshotStore()
        self.history = PlanHistory()
        self.status_store = status_store
        locator = ChartLocator(in_place)
        self.reconciler = Reconciler(SilentAgents(), status_store, locator)
        self.revisions = 0
        self.planned = self._plan()

    def _plan(self) -> tuple[Snapshot, Plan]:
        self.revisions += 1
        revision = Revision(f"r{self.revisions}", str(self.root), datetime.now(UTC))
        snapshot = self.builder.build(DirectoryTree(self.root), revision)
        self.store.offer(snapshot)
        plan = self.planner.plan(snapshot, charts_of(snapshot))
        self.history.add(plan, self.history.changes(plan))
        return snapshot, plan

    async def converge(self) -> tuple[dict[str, Any], PassReport]:
        """Every environment's agent connected with its desired releases running, the plan
        handed over and one pass run, its decisions written: the fleet at rest."""
        plan = self.planned[1]
        await self.reconciler.open()
        running = converged(plan)
        for environment, releases in running.items():
            self.reconciler.runtime.connected(
                AgentConnected(
                    environment, "s-1", datetime.now(UTC), "bench", releases, "", "bench"
                )
            )
        self.reconciler.update_plan(plan)
        first_pass = await self.reconciler.run_pass()
        self.memory.passed()
        await self.status_store.flush()  # the decisions written before anything is timed
        return running, first_pass

    def app(self, running: dict[str, Any]) -> tuple[ReadSide, ASGIApp]:
        """The web app as `fasit serve` mounts it over this fleet (metrics and live updates;
        the chart-archive route left out)."""
        reconciler = self.reconciler
        read = ReadSide(
            self.store,
            reconciler,
            lambda: len(running),
            planned=lambda: self.planned,
            plan_changes=lambda: self.history.entries,
            history=self.status_store,
        )
        live = LiveUpdates(lambda _: (reconciler.generation, self.planned[0].revision.id))
        return read, create_app(read, [FasitMetrics(read).route()], live=live)

    async def bump(self) -> PassReport:
        """feature-000's assignment to its other version, planned, handed over, one pass."""
        path = self.root / BUMPED
        text = path.read_text(encoding="utf-8")
        version = "1.1.0" if 'version: "1.0.0"' in text.partition("---")[0] else "1.0.0"
        path.write_text(bumped(text, version), encoding="utf-8")
        self.planned = self._plan()
        self.reconciler.update_plan(self.planned[1])
        self.memory.handed_over()
        report = await self.reconciler.run_pass()
        self.memory.passed()
        return report


async def render(
    tenants: int, features: int, cold_runs: int, warm_runs: int, profile: bool
) -> None:
    with tempfile.TemporaryDirectory(prefix="fasit-web-") as directory, GcClock() as clock:
        root = Path(directory) / "state"
        write_fleet(root, tenants=tenants, features=features, targets=({},))
        started = time.perf_counter()
        served = Served(root, SqliteStatusStore(Path(directory) / "status.db"), ServeMemory())
        plan = served.planned[1]
        reconciler = served.reconciler
        status_store = served.status_store
        memory = served.memory
        running, first_pass = await served.converge()
        prepared = time.perf_counter() - started
        read, app = served.app(running)

        environment = "t00/e01"
        feature = "feature-001"
        release = f"/environments/{environment}/features/{feature}"
        others = (
            "/features",
            "/environments",
            f"/features/{feature}",
            f"/environments/{environment}",
            release,
            "/revisions",
        )
        overview = ("/", "/api/v1/overview")
        profiler = cProfile.Profile() if profile else None

        # JSON first: it builds every view and the summary; then the page compiles templates.
        first = {}
        for target in (*reversed(overview), release):
            if profiler:
                profiler.enable()
            first[target] = await timed_get(app, target, clock)
            if profiler:
                profiler.disable()
        profiled_first = _stats(profiler) if profiler else ""

        cold: dict[str, list[Sample]] = {}
        for target in overview:
            cold[target] = []
            for _ in range(cold_runs):
                reconciler.generation += 1
                cold[target].append(await timed_get(app, target, clock))

        after_pass: dict[str, list[Sample]] = {}
        passes: list[PassReport] = []
        for target in overview:
            after_pass[target] = []
            for run in range(cold_runs):
                reconnected = sorted(running)[run % len(running)]
                reconciler.runtime.connected(
                    AgentConnected(
                        reconnected,
                        f"s-{len(passes) + 2}",
                        datetime.now(UTC),
                        "bench",
                        running[reconnected],
                        "",
                        "bench",
                    )
                )
                passes.append(await reconciler.run_pass())
                memory.passed()
                after_pass[target].append(await timed_get(app, target, clock))

        await status_store.flush()  # the passes' decisions written before the warm runs

        warm: dict[str, list[Sample]] = {}
        other_runs = max(5, warm_runs // 5)
        for target in (*overview, *others):
            await timed_get(app, target, clock)
            runs = warm_runs if target in overview else other_runs
            warm[target] = [await timed_get(app, target, clock) for _ in range(runs)]

        fleet_wide: dict[str, list[Sample]] = {}
        bumps: list[PassReport] = []
        for target in overview:
            fleet_wide[target] = []
            for _ in range(FLEET_WIDE_RUNS):
                bumps.append(await served.bump())
                await status_store.flush()
                fleet_wide[target].append(await timed_get(app, target, clock))
        revisions = [await timed_get(app, "/revisions", clock) for _ in range(other_runs)]

        # Where a fleet-wide cold overview goes: the reconciler's views, the summary, the rest.
        split: list[tuple[float, float, float, float]] = []
        for _ in range(SPLIT_RUNS):
            await served.bump()
            await status_store.flush()
            before = len(clock.collections)
            started = time.perf_counter()
            reconciler.releases()
            viewed = time.perf_counter()
            Summaries(read).current()
            summarized = time.perf_counter()
            sample = await timed_get(app, "/", clock)  # summary made once more, by the app
            collected = sum(ms for _, ms in clock.collections[before:])
            split.append(
                (
                    (viewed - started) * 1000,
                    (summarized - viewed) * 1000,
                    sample.ms,
                    collected,
                )
            )

        profiled_cold = profiled_wide = ""
        if profile:
            profiler = cProfile.Profile()
            for target in overview:
                for _ in range(5):
                    reconciler.generation += 1
                    profiler.enable()
                    await get(app, target)
                    profiler.disable()
            profiled_cold = _stats(profiler)
            profiler = cProfile.Profile()
            for target in overview:
                await served.bump()
                await status_store.flush()
                profiler.enable()
                await get(app, target)
                profiler.disable()
            profiled_wide = _stats(profiler)
        await reconciler.stop()
        await status_store.close()

    print(f"machine: {machine()}, Python {platform.python_version()}")
    print(
        f"render: {len(plan.environments)} environments x {features} features = "
        f"{len(plan.releases)} releases, all running at their desired hash "
        f"(prepared in {prepared:.1f} s; first pass {first_pass.seconds * 1000:.0f} ms)"
    )
    print(
        "  in process, the ASGI app called directly, the collector enabled as in the server;"
        " times in ms"
    )
    for target, sample in first.items():
        print(
            f"  first request {target:43} {sample.ms:8.1f}  ({sample.size:,} bytes;"
            f" {sample.gc_ms:.0f} ms in gc, {sample.full} gen-2)"
        )
    print(f"  cold: generation incremented by hand, {cold_runs} runs each (goal < {GOAL_MS:.0f})")
    for target in overview:
        print(cold_line(target, cold[target]))
    decided = sum(report.decided for report in passes)
    print(
        f"  cold: after one agent reconnected and a pass ({cold_runs} runs each; "
        f"{decided} environments decided over {len(passes)} passes, pass median "
        f"{statistics.median(report.seconds for report in passes) * 1000:.1f} ms)"
    )
    for target in overview:
        print(cold_line(target, after_pass[target]))
    print(f"  warm: same generation ({warm_runs} runs for the overview, {other_runs} for others)")
    for target, samples in warm.items():
        print(warm_line(target, samples))
    print(
        f"  cold: after a fleet-wide change ({BUMPED} to its other version, planned, one "
        f"pass: {statistics.median(report.decided for report in bumps):.0f} environments "
        f"decided, {sum(report.sent for report in bumps)} sent over {len(bumps)} passes; "
        f"no agent answers), {FLEET_WIDE_RUNS} runs each"
    )
    for target in overview:
        print(cold_line(target, fleet_wide[target]))
    print(f"  warm, after those {len(bumps)} fleet-wide revisions:")
    print(warm_line("/revisions", revisions))
    views, summary, page, collected = (
        statistics.median(column) for column in zip(*split, strict=True)
    )
    print(
        f"  split of a fleet-wide cold overview (median of {SPLIT_RUNS} more changes): "
        f"reconciler.releases() {views:.0f} ms, fleet summary {summary:.0f} ms, then GET / "
        f"(the summary again, the page) {page:.0f} ms; {collected:.0f} ms of it in gc"
    )
    memory.stop()
    if profile:
        print("profile: the first /api/v1/overview, / and release page:")
        print(profiled_first)
        print("profile: 5 cold requests (generation incremented) each of / and /api/v1/overview:")
        print(profiled_cold)
        print("profile: one request each of / and /api/v1/overview after a fleet-wide change:")
        print(profiled_wide)


def _stats(profiler: cProfile.Profile) -> str:
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    return text.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--part", choices=("render", "load", "both"), default="both")
    parser.add_argument(
        "--render-tenants",
        type=int,
        default=20,
        help=f"render: tenants of {ENVIRONMENTS_PER_TENANT} environments (default 20)",
    )
    parser.add_argument("--render-features", type=int, default=100, help="render: (100)")
    parser.add_argument("--cold-runs", type=int, default=20, help="render: per case (20)")
    parser.add_argument("--warm-runs", type=int, default=100, help="render: overview (100)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="render: cProfile the first requests, cold ones, ones after a fleet-wide change",
    )
    parser.add_argument(
        "--load-tenants",
        type=int,
        default=2,
        help=f"load: tenants of {ENVIRONMENTS_PER_TENANT} environments (default 2)",
    )
    parser.add_argument("--load-features", type=int, default=20, help="load: (20)")
    parser.add_argument("--seconds", type=float, default=60.0, help="load: length of the run")
    parser.add_argument("--rate", type=float, default=200.0, help="load: requests per second")
    parser.add_argument("--connections", type=int, default=32, help="load: keep-alive pool")
    parser.add_argument(
        "--converge-timeout", type=float, default=300.0, help="load: seconds to wait"
    )
    parser.add_argument(
        "--server-gc-log",
        action="store_true",
        help="load: run the server through bench.web_gc_probe and relate latency to its "
        "generation-2 collections",
    )
    parser.add_argument(
        "--no-server-policy",
        action="store_true",
        help="load: the server without its memory policy (fasit/memory.py), to compare",
    )
    args = parser.parse_args()
    if args.part in ("render", "both"):
        asyncio.run(
            render(
                args.render_tenants,
                args.render_features,
                args.cold_runs,
                args.warm_runs,
                args.profile,
            )
        )
    if args.part in ("load", "both"):
        load(
            tenants=args.load_tenants,
            features=args.load_features,
            seconds=args.seconds,
            rate=args.rate,
            connections=args.connections,
            converge_timeout=args.converge_timeout,
            server_gc_log=args.server_gc_log,
            server_policy=not args.no_server_policy,
        )


if __name__ == "__main__":
    main()
