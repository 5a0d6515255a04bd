"""Benchmark: snapshots of a 10,000-file state repository served by a real `git daemon`.

Run: `make bench` (or `.venv/bin/python -m bench.snapshot_bench`). Prints the figures;
docs/benchmarks.md records them with the machine and date. Nothing here asserts a time.

- cold build: a fresh `SnapshotBuilder` builds the fetched commit (list the tree, parse every
  file, cross-check, target), median of 3.
- rebuild: after a commit that changes one file, the warm builder builds the new commit,
  median of 10 such commits; and the fetch of such a commit.
- push → snapshot: `GitSource` polls every second; the time from `git push` returning to the
  new snapshot being swapped into the store, over 50 pushes (median and p99). Each push waits
  a random part of the poll interval first, as real pushes are not in step with the polls.
- repack: what `GitRemote.maintain` costs once fetches have left 50 packs.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.fleet import write_fleet
from bench.validate_bench import machine
from fasit.sources import (
    GitLocation,
    GitRemote,
    GitSource,
    GitSourceConfig,
    ListingCache,
    read_commit,
)
from fasit.state import Snapshot, SnapshotBuilder, SnapshotStore
from tests.integration.git_servers import GitDaemon, GitWork, git_environment

TENANTS = 45  # 45 tenants of 50 environments, and their configs: about 10,000 files
POLL_INTERVAL = 1.0
PUSHES = 50
ONE_FILE_COMMITS = 10


def main() -> None:
    argparse.ArgumentParser(description=__doc__.partition("\n")[0]).parse_args()  # --help only
    with tempfile.TemporaryDirectory(prefix="fasit-snapshot-bench-") as directory:
        scratch = Path(directory)
        env = git_environment(scratch / "home")
        work = GitWork.create(scratch / "served" / "state.git", scratch / "work", env)
        counts = write_fleet(work.work, tenants=TENANTS)
        work.commit("the fleet")
        work.push()
        with GitDaemon(scratch / "served", env, scratch / "daemon.log") as daemon:
            url = daemon.url("state.git")
            print(f"machine: {machine()}")
            print(f"repository: {counts['files']} files, {counts['configs']} configs")
            builds = _builds(url, work, scratch)
            latencies = asyncio.run(_push_to_snapshot(url, work, scratch / "source.git"))
    cold, rebuild = builds["cold build"], builds["one-file rebuild"]
    for name, seconds in builds.items():
        print(f"{name:32} {seconds * 1000:8.1f} ms")
    print(f"{'cold / one-file rebuild':32} {cold / rebuild:8.1f}x")
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    print(
        f"push -> snapshot, poll {POLL_INTERVAL:.0f} s, {len(latencies)} pushes: "
        f"median {statistics.median(latencies) * 1000:.0f} ms, p99 {quantiles[98] * 1000:.0f} ms,"
        f" max {max(latencies) * 1000:.0f} ms"
    )


def _builds(url: str, work: GitWork, scratch: Path) -> dict[str, float]:
    remote = GitRemote(GitLocation(url), scratch / "bench.git")
    try:
        started = time.perf_counter()
        commit = remote.fetch(remote.resolve())
        first_fetch = time.perf_counter() - started
        colds = []
        for _ in range(3):
            tree, revision = read_commit(remote, commit)
            builder = SnapshotBuilder()
            started = time.perf_counter()
            snapshot = builder.build(tree, revision)
            colds.append(time.perf_counter() - started)
            _check(snapshot)
        listings: ListingCache = {}
        read_commit(remote, commit, listings)  # what the source's previous poll listed
        rebuilds, fetches = [], []
        for number in range(ONE_FILE_COMMITS):
            sha = _one_file_commit(work, number)
            started = time.perf_counter()
            commit = remote.fetch(remote.resolve())
            fetches.append(time.perf_counter() - started)
            assert commit == sha
            tree, revision = read_commit(remote, commit, listings)
            started = time.perf_counter()
            snapshot = builder.build(tree, revision)
            rebuilds.append(time.perf_counter() - started)
            _check(snapshot)
        for number in range(50 - len(remote.repo.object_store.packs)):
            _one_file_commit(work, 100 + number)
            remote.fetch(remote.resolve())
        started = time.perf_counter()
        assert remote.maintain()
        repack = time.perf_counter() - started
    finally:
        remote.close()
    return {
        "first fetch (clone)": first_fetch,
        "cold build": statistics.median(colds),
        "fetch of a one-file commit": statistics.median(fetches),
        "one-file rebuild": statistics.median(rebuilds),
        "repack of 50 packs": repack,
    }


async def _push_to_snapshot(url: str, work: GitWork, cache: Path) -> list[float]:
    store = SnapshotStore()
    config = GitSourceConfig(GitLocation(url), cache, poll_interval=POLL_INTERVAL)
    source = GitSource(config, SnapshotBuilder(), store)
    swapped: dict[str, float] = {}

    async def record() -> None:
        async for snapshot in store.updates():
            swapped[snapshot.revision.id] = time.perf_counter()

    running = asyncio.create_task(source.run())
    recording = asyncio.create_task(record())
    latencies = []
    try:
        while not store.ready:
            await asyncio.sleep(0.05)
        phases = random.Random(21)
        for number in range(PUSHES):
            await asyncio.sleep(phases.uniform(0, POLL_INTERVAL))
            sha = await asyncio.to_thread(_one_file_commit, work, ONE_FILE_COMMITS + number)
            pushed = time.perf_counter()
            while sha not in swapped:
                await asyncio.sleep(0.005)
            latencies.append(swapped[sha] - pushed)
    finally:
        running.cancel()
        recording.cancel()
        await asyncio.gather(running, recording, return_exceptions=True)
    return latencies


def _one_file_commit(work: GitWork, number: int) -> str:
    """Change one config's value and push: the commit a person makes most often."""
    path = sorted((work.work / "configs").glob("feature-000/*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.split("group1.value1:")[0] + f"group1.value1: {number}\n")
    sha = work.commit(f"bench change {number}")
    work.push()
    return sha


def _check(snapshot: Snapshot) -> None:
    if not snapshot.servable:
        raise SystemExit(f"the bench repository has problems: {snapshot.blocking[:3]}")


if __name__ == "__main__":
    main()
