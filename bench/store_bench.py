"""Benchmark: the status store on SQLite and on PostgreSQL (Debian's, started here on 127.0.0.1).

Run: `make bench` (or `.venv/bin/python -m bench.store_bench [--pairs N] [--rounds R]`).
Prints the figures; docs/benchmarks.md records them with the machine and date. Nothing here
asserts a time.

A write load like a busy fleet's: for each of N (environment, feature) pairs, R rounds of one
decision, three deploy rows (sent, installing, deployed) and ten agent log lines. Figures:

- write: from the first `record_*` until `flush()` returns (rows per second);
- read: median and max of 200 `deploys(pair)` reads (the release page's query);
- recover: `open()` of a store holding all of it (a restart).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.validate_bench import machine
from fasit.agents import Action, LogKind, LogLine
from fasit.reconcile import (
    DecisionRecord,
    Deploy,
    DeployState,
    LogRecord,
    PostgresStatusStore,
    Reason,
    SqliteStatusStore,
)
from fasit.reconcile._sql_store import SqlStatusStore
from tests.integration.postgres_server import PostgresServer

AT = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
_STATES = (DeployState.SENT, DeployState.INSTALLING, DeployState.DEPLOYED)


async def _load(store: SqlStatusStore, pairs: int, rounds: int) -> int:
    rows = 0
    for round_number in range(rounds):
        for pair in range(pairs):
            if pair % 500 == 0:
                await store.flush()  # as passes do: a pass's writes, then the next pass
            environment, feature = f"t{pair % 50}/env{pair}", f"feature{pair % 7}"
            instruction = f"{environment}-{feature}-{round_number}"
            store.record_decision(
                DecisionRecord(
                    environment, feature, Reason.DEPLOY, "install 1.0.0", "1.0.0", "h", "r", AT
                )
            )
            for state in _STATES:
                store.record_deploy(_deploy(instruction, environment, feature, state))
            store.record_logs(
                [
                    LogRecord(instruction, environment, LogLine(AT, LogKind.STDOUT, f"line {i}"))
                    for i in range(10)
                ]
            )
            rows += 1 + len(_STATES) + 10
    return rows


def _deploy(instruction: str, environment: str, feature: str, state: DeployState) -> Deploy:
    return Deploy(
        instruction, environment, feature, Action.INSTALL, "1.0.0", "h", "r", 1, state,
        AT, AT, AT + timedelta(minutes=5), feature, "session",
    )  # fmt: skip


async def _measure(name: str, new: Callable[[], SqlStatusStore], pairs: int, rounds: int) -> None:
    store = new()
    await store.open()
    started = time.perf_counter()
    rows = await _load(store, pairs, rounds)
    await store.flush()
    written = time.perf_counter() - started
    reads = []
    for number in range(200):
        pair = number * 37 % pairs
        began = time.perf_counter()
        await store.deploys(f"t{pair % 50}/env{pair}", f"feature{pair % 7}")
        reads.append(time.perf_counter() - began)
    await store.close()
    again = new()
    began = time.perf_counter()
    recovered = await again.open()
    recover = time.perf_counter() - began
    await again.close()
    assert not store.dropped, store.dropped  # every row written, or the figure means nothing
    print(
        f"{name:>10}: write {rows:,} rows in {written:.2f} s ({rows / written:,.0f} rows/s); "
        f"read deploys(pair) median {statistics.median(reads) * 1000:.2f} ms, "
        f"max {max(reads) * 1000:.2f} ms; recover {len(recovered.deploys):,} instructions "
        f"in {recover:.2f} s"
    )


async def _main(pairs: int, rounds: int) -> None:
    print(f"{machine()}, {datetime.now(UTC):%Y-%m-%d}")
    print(f"{pairs} pairs x {rounds} rounds (1 decision, 3 deploy rows, 10 log lines each)")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "status.db"
        await _measure("sqlite", lambda: SqliteStatusStore(path), pairs, rounds)
    with PostgresServer() as server:
        url = server.database()
        await _measure("postgresql", lambda: PostgresStatusStore(url), pairs, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(_main(args.pairs, args.rounds))


if __name__ == "__main__":
    main()
