"""Benchmark: from a change of the state to the instruction at a connected agent.

Run: `make bench` (or `.venv/bin/python -m bench.e2e_bench [--changes N]`). Prints median and
p99; docs/benchmarks.md records them with the machine and date. Nothing here asserts a time.

The whole `fasit serve` runs in this process (source, snapshot, charts, planner, reconciler,
agent hub on loopback gRPC, web app), with one real `naisd.Agent` connected whose executor
notes when each instruction arrives and then succeeds at once. Each change assigns feature
`web` a new version (an in-repo chart); the clock runs from the change until the agent holds
the instruction for that version. Three ways of changing:

- local edit: the assignment file rewritten in a watched directory (`--state-dir`);
- git push, polled: a commit pushed to a real `git daemon`, `--poll-interval 1`;
- git push + webhook: the same with an hour's poll interval, and a signed POST to
  /api/v1/hooks/git right after the push.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import platform
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.validate_bench import machine
from fasit.agents import write_token_file
from fasit.serve import Controller, ServeConfig
from fasit.sources import GitLocation, GitSourceConfig
from naisd import Agent, AgentConfig, Applied, FakeExecutor, Inventory, LogSink, Work
from tests.integration.git_servers import GitDaemon, GitWork, git_environment
from tests.integration.processes import LOOPBACK, free_port

ENVIRONMENT = "bench/e2e"
TOKEN = "bench-e2e-token"
SECRET = "bench-hook-secret"


class Stopwatch:
    """An executor that notes when each version's instruction arrives, then succeeds."""

    name = "stopwatch"

    def __init__(self) -> None:
        self.inner = FakeExecutor(ENVIRONMENT, delay=(0, 0))
        self.arrived: dict[str, float] = {}
        self.changed = asyncio.Event()

    async def apply(self, work: Work, log: LogSink) -> Applied:
        self.arrived.setdefault(work.version, time.perf_counter())
        self.changed.set()
        return await self.inner.apply(work, log)

    async def inventory(self) -> Inventory:
        return await self.inner.inventory()

    def is_healthy(self) -> bool:
        return True

    async def arrival(self, version: str) -> float:
        while version not in self.arrived:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 30)
        return self.arrived[version]


def state_files(versions: int, version: str) -> dict[str, str]:
    files = {
        "environments/bench/e2e.yaml": "apiVersion: fasit/v1\nkind: Environment\ntenant: bench\n"
        "name: e2e\nenvironmentKind: tenant\nlabels: {env: e2e}\n",
        "features/web.yaml": "apiVersion: fasit/v1\nkind: Feature\nname: web\nchart: charts/web\n",
        "assignments/web.yaml": assignment(version),
    }
    for number in range(versions):
        chart = f"charts/web/1.0.{number}"
        files[f"{chart}/Chart.yaml"] = f"apiVersion: v2\nname: web\nversion: 1.0.{number}\n"
        files[f"{chart}/Feature.yaml"] = "environmentKinds: [tenant]\nvalues: {}\n"
    return files


def assignment(version: str) -> str:
    return (
        "apiVersion: fasit/v1\nkind: Assignment\nfeature: web\n"
        f'version: "{version}"\ntarget: {{}}\n'
    )


def hook(http_port: int) -> None:
    body = b"{}"
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        f"http://{LOOPBACK}:{http_port}/api/v1/hooks/git",
        data=body,
        headers={"X-Hub-Signature-256": signature},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5):
        pass


async def run_changes(
    config: ServeConfig, changes: int, change: Callable[[str], Awaitable[float]]
) -> list[float]:
    """Serve, connect the stopwatch agent, make `changes` changes; each one's latency."""
    controller = Controller(config)
    stop = asyncio.Event()
    serving = asyncio.create_task(controller.run(stop))
    await asyncio.wait_for(controller.ready.wait(), 30)
    assert controller.hub is not None
    stopwatch = Stopwatch()
    agent = Agent(
        controller.hub.address, ENVIRONMENT, lambda: TOKEN, stopwatch, config=AgentConfig()
    )
    running = asyncio.create_task(agent.run())
    await stopwatch.arrival("1.0.0")
    latencies = []
    for number in range(1, changes + 1):
        version = f"1.0.{number}"
        changed_at = await change(version)
        latencies.append(await stopwatch.arrival(version) - changed_at)
        await asyncio.sleep(0.05)  # let the result come back before the next change
    agent.stop()
    await running
    stop.set()
    await serving
    return latencies


async def local_edits(root: Path, changes: int) -> list[float]:
    state = root / "state"
    for path, text in state_files(changes + 1, "1.0.0").items():
        (state / path).parent.mkdir(parents=True, exist_ok=True)
        (state / path).write_text(text, encoding="utf-8")

    async def change(version: str) -> float:
        started = time.perf_counter()
        (state / "assignments/web.yaml").write_text(assignment(version), encoding="utf-8")
        return started

    return await run_changes(_config(root, state_dir=state), changes, change)


async def git_pushes(root: Path, changes: int, webhook: bool) -> list[float]:
    env = git_environment(root / "home")
    served = root / "served"
    work = GitWork.create(served / "repo.git", root / "work", env)
    for path, text in state_files(changes + 1, "1.0.0").items():
        work.write(path, text)
    work.commit("fleet")
    work.push()
    http_port = free_port()
    with GitDaemon(served, env, root / "git-daemon.log") as daemon:
        git = GitSourceConfig(
            GitLocation(daemon.url("repo.git"), "main"),
            root / "git-cache",
            poll_interval=3600.0 if webhook else 1.0,
        )

        async def change(version: str) -> float:
            work.write("assignments/web.yaml", assignment(version))
            work.commit(f"web {version}")
            await asyncio.to_thread(work.push)
            pushed = time.perf_counter()
            if webhook:
                await asyncio.to_thread(hook, http_port)
            return pushed

        config = _config(root, git=git, http_port=http_port, webhook=webhook)
        return await run_changes(config, changes, change)


def _config(
    root: Path,
    *,
    state_dir: Path | None = None,
    git: GitSourceConfig | None = None,
    http_port: int | None = None,
    webhook: bool = False,
) -> ServeConfig:
    tokens = root / "agent-tokens.yaml"
    write_token_file(tokens, {ENVIRONMENT: TOKEN})
    return ServeConfig(
        status_db=root / "status.db",
        state_dir=state_dir,
        git=git,
        http_port=http_port or free_port(),
        grpc_port=0,
        agent_tokens=tokens,
        webhook_secret=SECRET if webhook else "",
    )


def summary(name: str, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"{name:28} median {statistics.median(ordered) * 1000:7.0f} ms"
        f"   p99 {p99 * 1000:7.0f} ms   max {ordered[-1] * 1000:7.0f} ms   (n={len(ordered)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=50)
    changes = parser.parse_args().changes
    results = {}
    with tempfile.TemporaryDirectory(prefix="fasit-e2e-") as directory:
        root = Path(directory)
        results["local edit"] = asyncio.run(local_edits(root / "local", changes))
        results["git push, 1 s poll"] = asyncio.run(git_pushes(root / "poll", changes, False))
        results["git push + webhook"] = asyncio.run(git_pushes(root / "hook", changes, True))
    print(f"machine: {machine()}, Python {platform.python_version()}")
    print(f"change → instruction at a connected agent, {changes} changes each")
    for name, latencies in results.items():
        print(summary(name, latencies))


if __name__ == "__main__":
    main()
