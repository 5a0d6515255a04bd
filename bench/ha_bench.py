"""Benchmark: three `fasit serve` replicas sharing a fleet through PostgreSQL (docs/ha.md).

Run: `.venv/bin/python -m bench.ha_bench [--agents N] [--processes P]`. Prints the figures;
docs/benchmarks.md records them with the machine and date. Nothing here asserts a time.

A throwaway PostgreSQL (Debian's, as the tests start it), a state directory of N environments
with feature `web` (an in-repo chart), three `fasit serve` processes on it (lease time 15 s),
and P worker processes each running N/P in-process `naisd.Agent`s (fake executor, no delay),
every agent given all three addresses, as in agents_bench.py.

- connect: from starting the workers until every environment has an agent connected to its
  owner and its release DEPLOYED (counted on each replica, over the environments it owns);
- fan-out: a new version assigned, until every environment runs it (owners' counts);
- failover: `kill -9` of the replica owning most, until the two others own every environment
  and every agent is connected again;
- idle database load: transactions per second PostgreSQL commits while nothing changes (lease
  renewals, the read side's refresh, decision writes: none per release).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench.agents_bench import environment, raise_fd_limit, token, worker
from bench.validate_bench import machine
from fasit.agents import write_token_file
from tests import states
from tests.helpers import write_tree
from tests.integration.postgres_server import PostgresServer
from tests.integration.processes import LOOPBACK, free_port

WORKER = [sys.executable, "-m", "bench.ha_bench", "--worker"]
CHECKOUT = Path(__file__).resolve().parents[1]
DEADLINE = 300.0
IDLE_SECONDS = 30.0


def write_state(root: Path, agents: int, version: str) -> None:
    shutil.rmtree(root / "assignments", ignore_errors=True)
    write_tree(
        root,
        states.state(
            *(states.environment("bench", f"env-{i:04d}") for i in range(agents)),
            states.feature("web"),
            states.chart("web", "1.0.0"),
            states.chart("web", "1.1.0"),
            states.assignment("web", version, {}),
        ),
    )


class Replica:
    def __init__(self, scratch: Path, state: Path, tokens: Path, database: str) -> None:
        self.http, self.grpc = free_port(), free_port()
        self.log = scratch / f"serve-{self.http}.log"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "fasit", "serve",
                    "--http-addr", f"{LOOPBACK}:{self.http}",
                    "--grpc-addr", f"{LOOPBACK}:{self.grpc}",
                    "--state-dir", str(state), "--agent-tokens", str(tokens),
                    "--status-db", database, "--log-format", "json",
                ],
                stdout=sink, stderr=subprocess.STDOUT, cwd=scratch,
                env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
            )  # fmt: skip

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.grpc}"

    def get(self, path: str) -> Any:
        url = f"http://{LOOPBACK}:{self.http}{path}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())

    def owned(self) -> set[str]:
        for item in self.get("/api/v1/replicas")["items"]:
            if item["grpc_addr"] == self.address:
                return set(item["environments"])
        return set()

    def running(self, version: str) -> int:
        """Environments this replica owns whose release runs `version`, DEPLOYED."""
        owned = self.owned()
        items = self.get("/api/v1/releases?limit=5000")["items"]
        return sum(
            1
            for item in items
            if item["environment"] in owned
            and item["status"] == "DEPLOYED"
            and item["running_version"] == version
        )


def until(condition: Any, what: str) -> float:
    """Seconds until `condition()` holds (polled every 0.2 s)."""
    started = time.perf_counter()
    while True:
        try:
            if condition():
                return time.perf_counter() - started
        except OSError:
            pass
        if time.perf_counter() - started > DEADLINE:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


def committed(url: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(str(row[0])) if row is not None else 0


def measure(agents: int, processes: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch_dir, PostgresServer() as postgres:
        scratch = Path(scratch_dir)
        database = postgres.database()
        state = scratch / "state"
        write_state(state, agents, "1.0.0")
        tokens = scratch / "tokens.yaml"
        write_token_file(tokens, {environment(i): token(i) for i in range(agents)})
        replicas = [Replica(scratch, state, tokens, database) for _ in range(3)]
        workers: list[subprocess.Popen[bytes]] = []
        try:
            for replica in replicas:
                if replica.process.poll() is not None:
                    raise SystemExit(f"fasit serve exited: {replica.log.read_text()[-2000:]}")
            until(lambda: all(len(r.get("/api/v1/replicas")["items"]) == 3 for r in replicas),
                  "three replicas")  # fmt: skip
            addresses = ",".join(r.address for r in replicas)
            share = -(-agents // processes)
            started = time.perf_counter()
            workers = [
                subprocess.Popen(
                    [*WORKER, addresses, str(first), str(min(share, agents - first))],
                    stdin=subprocess.PIPE,
                )
                for first in range(0, agents, share)
            ]
            until(lambda: sum(r.running("1.0.0") for r in replicas) == agents, "deployed")
            connect = time.perf_counter() - started

            before = committed(database)
            time.sleep(IDLE_SECONDS)
            idle_tps = (committed(database) - before) / IDLE_SECONDS

            write_state(state, agents, "1.1.0")
            fanout = until(lambda: sum(r.running("1.1.0") for r in replicas) == agents, "bump")

            victim = max(replicas, key=lambda r: len(r.owned()))
            owned_by_victim = len(victim.owned())
            victim.process.send_signal(signal.SIGKILL)
            victim.process.wait()
            survivors = [r for r in replicas if r is not victim]
            failover = until(
                lambda: sum(r.running("1.1.0") for r in survivors) == agents, "failover"
            )
        finally:
            for process in workers:
                assert process.stdin is not None
                process.stdin.close()
            for process in workers:
                process.wait(60)
            for replica in replicas:
                if replica.process.poll() is None:
                    replica.process.send_signal(signal.SIGTERM)
                    replica.process.wait(30)
    return {
        "agents": agents,
        "connect_s": connect,
        "fanout_s": fanout,
        "failover_s": failover,
        "moved": owned_by_victim,
        "idle_tps": idle_tps,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="ha_bench")
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--worker", nargs=3, metavar=("ADDRESSES", "FIRST", "COUNT"))
    args = parser.parse_args()
    raise_fd_limit()
    if args.worker:
        addresses, first, count = args.worker
        asyncio.run(worker(addresses, int(first), int(count)))
        return 0
    python = platform.python_version()
    print(f"# ha bench, {datetime.now(UTC):%Y-%m-%d}, {machine()}, Python {python}")
    f = measure(args.agents, args.processes)
    print(
        f"3 replicas, {f['agents']:.0f} agents: connect and deploy {f['connect_s']:.1f}s, "
        f"fan-out {f['fanout_s']:.1f}s, failover of {f['moved']:.0f} environments after "
        f"kill -9 {f['failover_s']:.1f}s, idle database {f['idle_tps']:.1f} transactions/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
