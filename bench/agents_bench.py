"""Benchmark: many fake agents against one AgentHub, over real gRPC on 127.0.0.1.

Run: `make bench` (or `.venv/bin/python -m bench.agents_bench [--agents N] [--processes P]`).
Prints the figures; docs/benchmarks.md records them with the machine and date. Nothing here
asserts a time.

The hub runs in this process (as in `fasit serve`), with one consumer of its events. P worker
processes each run N/P in-process `naisd.Agent`s with the fake executor (no delay), each agent
on its own channel (one TCP connection and one stream per agent, as in production).

- connect: from starting the workers until every environment has a live session;
- controller RSS: this process's resident memory before the agents and with all connected;
- fan-out round trip: one instruction sent to every environment, until every result is back
  (median of ROUNDS rounds; each round a new release hash).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.validate_bench import machine
from fasit.agents import (
    AgentHub,
    Delivery,
    HubConfig,
    Instruction,
    ResultReported,
    TokenFile,
    instruction_id,
    write_token_file,
)

ROUNDS = 5
WORKER = [sys.executable, "-m", "bench.agents_bench", "--worker"]


def environment(index: int) -> str:
    return f"bench/env-{index:04d}"


def token(index: int) -> str:
    return f"bench-token-{index:04d}"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def raise_fd_limit() -> None:
    """One socket per agent: lift the soft limit on open files to the hard one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def worker(address: str, first: int, count: int) -> None:
    """Run agents first..first+count-1 until stdin closes."""
    from naisd import Agent, AgentConfig, FakeExecutor

    config = AgentConfig(backoff_initial=0.2, backoff_maximum=2.0)
    agents = [
        Agent(
            address,
            environment(i),
            functools.partial(token, i),
            FakeExecutor(environment(i), delay=(0, 0)),
            config=config,
        )
        for i in range(first, first + count)
    ]
    tasks = [asyncio.create_task(agent.run()) for agent in agents]
    await asyncio.to_thread(sys.stdin.read)  # the parent closes stdin to stop us
    for agent in agents:
        agent.stop()
    await asyncio.gather(*tasks)


async def measure(agents: int, processes: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        tokens = Path(scratch) / "tokens.yaml"
        write_token_file(tokens, {environment(i): token(i) for i in range(agents)})
        hub = AgentHub(TokenFile(tokens), HubConfig(events_capacity=50_000))
        await hub.start()
        results: list[ResultReported] = []

        async def consume() -> None:
            async for event in hub.events():
                if isinstance(event, ResultReported):
                    results.append(event)

        consumer = asyncio.create_task(consume())
        rss_before = rss_mb()
        started = time.perf_counter()
        share = -(-agents // processes)
        workers = [
            subprocess.Popen(
                [*WORKER, hub.address, str(first), str(min(share, agents - first))],
                stdin=subprocess.PIPE,
            )
            for first in range(0, agents, share)
        ]
        while len(hub.connected()) < agents:
            await asyncio.sleep(0.05)
        connect = time.perf_counter() - started
        await asyncio.sleep(1.0)  # let the hellos' garbage settle before reading memory
        rss_connected = rss_mb()

        rounds = []
        for attempt in range(ROUNDS):
            results.clear()
            release_hash = f"sha256:{attempt:064x}"
            began = time.perf_counter()
            for i in range(agents):
                env = environment(i)
                outcome = await hub.send(
                    env,
                    Instruction(
                        id=instruction_id(env, "web", release_hash, 1),
                        release="web",
                        namespace="apps",
                        chart="oci://registry.example/charts/web",
                        version="1.0.0",
                        values={"replicas": 2, "image": {"tag": f"v{attempt}"}},
                        release_hash=release_hash,
                        timeout=300,
                    ),
                )
                assert outcome is Delivery.QUEUED, outcome
            while len(results) < agents:
                await asyncio.sleep(0.005)
            rounds.append(time.perf_counter() - began)
        rss_after = rss_mb()

        for process in workers:
            assert process.stdin is not None
            process.stdin.close()
        for process in workers:  # the hub keeps serving while they say goodbye
            await asyncio.to_thread(process.wait, 30)
        consumer.cancel()
        await hub.stop()
    return {
        "agents": agents,
        "processes": len(workers),
        "connect_s": connect,
        "rss_before_mb": rss_before,
        "rss_connected_mb": rss_connected,
        "rss_after_mb": rss_after,
        "per_agent_kb": (rss_connected - rss_before) * 1024 / agents,
        "fanout_median_s": statistics.median(rounds),
        "fanout_max_s": max(rounds),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="agents_bench")
    parser.add_argument("--agents", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--worker", nargs=3, metavar=("ADDRESS", "FIRST", "COUNT"))
    args = parser.parse_args()
    raise_fd_limit()
    if args.worker:
        address, first, count = args.worker
        asyncio.run(worker(address, int(first), int(count)))
        return 0
    python = platform.python_version()
    print(f"# agents bench, {datetime.now(UTC):%Y-%m-%d}, {machine()}, Python {python}")
    print("agents  procs  connect  RSS before  RSS connected  per agent  fan-out median  max")
    for agents in args.agents:
        f = asyncio.run(measure(agents, args.processes))
        print(
            f"{agents:6d}  {f['processes']:5.0f}  {f['connect_s']:6.2f}s  "
            f"{f['rss_before_mb']:8.1f}MB  {f['rss_connected_mb']:11.1f}MB  "
            f"{f['per_agent_kb']:7.1f}KB  {f['fanout_median_s']:12.3f}s  {f['fanout_max_s']:.3f}s"
            f"  (RSS after fan-outs {f['rss_after_mb']:.1f}MB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
