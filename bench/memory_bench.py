"""Benchmark: `fasit serve`'s memory over hundreds of revisions, with and without its policy.

Run: `.venv/bin/python -m bench.memory_bench [--revisions 500] [--policy freeze|none]`.
Prints one row every `--every` revisions; docs/benchmarks.md records them. Nothing here
asserts a time or a size.

The whole `fasit serve` runs in this process (as bench/e2e_bench.py runs it) over a generated
state directory (`bench/fleet.py`, every feature assigned everywhere) with its in-process fake
agents, and with the memory policy of `fasit serve` (`ServeMemory`) or none. The state changes
as bench/web_load.py changes it, a version flip (a rollout to about two thirds of the
environments), then one config value, and so on; each change waits until the reconciler has
decided the new revision. Every row shows:

- RSS: this process's resident memory (VmRSS);
- frozen: objects in the permanent generation (`gc.get_freeze_count()`): if frozen garbage
  accumulated, this would grow with the revisions;
- collections: how many generation-2 passes ran since the row before, and the longest pass of
  any generation (measured from inside, with `gc.callbacks`);
- the median from a change to its revision decided.

At the end the collector is given everything (`gc.unfreeze()`, `gc.collect()`): the objects it
finds unreachable are the garbage that freezing kept, the figure to watch.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
from pathlib import Path

from bench.fleet import ENVIRONMENTS_PER_TENANT, write_fleet
from bench.validate_bench import machine
from bench.web_load import Changes
from fasit.serve import Controller, ServeConfig, ServeMemory, frozen_objects
from tests.integration.processes import free_port


class Collections:
    """Generation-2 passes and the longest pass of any generation, from `gc.callbacks`."""

    def __init__(self) -> None:
        self.full = 0
        self.longest = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.longest = max(self.longest, time.perf_counter() - self._started)
        if info["generation"] == 2:
            self.full += 1

    def take(self) -> tuple[int, float]:
        taken = (self.full, self.longest)
        self.full, self.longest = 0, 0.0
        return taken


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def decided_after(
    controller: Controller, serving: asyncio.Task[None], previous: str | None, timeout: float
) -> str:
    """The revision the reconciler decided once it is another than `previous`."""
    deadline = time.monotonic() + timeout
    while True:
        if serving.done():
            serving.result()  # its exception, if it failed
            raise RuntimeError("fasit serve stopped")
        reconciler = controller.reconciler
        decided = None if reconciler is None else reconciler.decided_revision
        if decided is not None and decided != previous:
            return decided
        if time.monotonic() > deadline:
            raise RuntimeError(f"no new revision decided within {timeout:.0f} s")
        await asyncio.sleep(0.005)


async def run(root: Path, args: argparse.Namespace) -> None:
    state = root / "state"
    write_fleet(state, tenants=args.tenants, features=args.features, targets=({},))
    (root / "status").mkdir()
    config = ServeConfig(
        status_db=root / "status" / "status.db",
        state_dir=state,
        http_port=free_port(),
        grpc_port=0,
        fake_agents=True,
    )
    memory = ServeMemory() if args.policy == "freeze" else None
    controller = Controller(config, memory=memory)
    collections = Collections()
    gc.callbacks.append(collections)
    stop = asyncio.Event()
    started = time.perf_counter()
    serving = asyncio.create_task(controller.run(stop))
    try:
        decided = await decided_after(controller, serving, None, args.timeout)
        print(f"first pass decided after {time.perf_counter() - started:.1f} s")
        changes = Changes(state)
        took: list[float] = []
        print(
            f"{'revisions':>9} {'RSS MiB':>8} {'frozen':>10} {'gen-2 passes':>12}"
            f" {'longest pass ms':>15} {'change → decided ms':>19}"
        )

        def row(revisions: int) -> None:
            full, longest = collections.take()
            median = statistics.median(took) * 1000 if took else 0.0
            print(
                f"{revisions:9d} {rss_mib():8.0f} {frozen_objects():10d} {full:12d}"
                f" {longest * 1000:15.1f} {median:19.0f}"
            )
            took.clear()

        row(0)
        for number in range(1, args.revisions + 1):
            changed = time.perf_counter()
            changes.next()
            decided = await decided_after(controller, serving, decided, args.timeout)
            took.append(time.perf_counter() - changed)
            if number % args.every == 0:
                row(number)
    finally:
        stop.set()
        await serving
        gc.callbacks.remove(collections)
    gc.unfreeze()
    print(f"garbage kept by freezing (found once unfrozen): {gc.collect()} objects")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--tenants", type=int, default=2, help="x50 environments (2)")
    parser.add_argument("--features", type=int, default=20, help="every one everywhere (20)")
    parser.add_argument("--revisions", type=int, default=500)
    parser.add_argument("--every", type=int, default=50, help="a row every N revisions (50)")
    parser.add_argument("--policy", choices=("freeze", "none"), default="freeze")
    parser.add_argument("--timeout", type=float, default=300.0, help="per revision (300 s)")
    args = parser.parse_args()
    releases = args.tenants * ENVIRONMENTS_PER_TENANT * args.features
    print(f"machine: {machine()}")
    print(f"fleet: {args.tenants * ENVIRONMENTS_PER_TENANT} environments x {args.features}")
    print(f"features ({releases} releases), fake agents; policy: {args.policy}")
    with tempfile.TemporaryDirectory(prefix="fasit-memory-") as directory:
        asyncio.run(run(Path(directory), args))


if __name__ == "__main__":
    main()
