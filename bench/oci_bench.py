"""Benchmark: resolving 200 oci:// charts from a real registry on loopback (Debian docker-registry).

Run: `make bench` (or `.venv/bin/python -m bench.oci_bench`). Prints the figures; docs/benchmarks.md
records them with the machine and date. Nothing here asserts a time.

- cold: a fresh resolver and an empty disk cache: per chart a tag lookup (HEAD), the manifest and
  the chart layer, 8 at a time; median of 3 (each with a fresh resolver and cache).
- warm: the same resolver again: tags within their lifetime, charts in memory (requests counted
  in the registry's own log).
- restart: a fresh resolver over the warm disk cache: one HEAD per tag, nothing else.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.validate_bench import machine
from fasit.charts import (
    ChartOutcome,
    OciCharts,
    OciSettings,
    OciWanted,
    RegistryClient,
    RegistrySettings,
)
from tests.integration.oci_registry import Chart, OciRegistry

CHARTS = 200
ROUNDS = 3


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fasit-oci-bench-") as directory:
        scratch = Path(directory)
        with OciRegistry(scratch / "registry") as registry:
            wanted = _push(registry)
            print(f"{machine()}; {CHARTS} charts in {registry.host}")
            cold: list[float] = []
            for round_number in range(ROUNDS):
                resolver = _resolver(registry, scratch / f"cache{round_number}")
                before = len(registry.requests_from("fasit/"))
                seconds, outcomes = _timed(resolver, wanted)
                asked = len(registry.requests_from("fasit/")) - before
                cold.append(seconds)
                assert all(o.chart is not None for o in outcomes.values()), "a chart failed"
                if round_number == ROUNDS - 1:
                    warm_seconds, _ = _timed(resolver, wanted)
                    warm_asked = len(registry.requests_from("fasit/")) - before - asked
                resolver.close()
            print(
                f"cold: {statistics.median(cold) * 1000:.0f} ms median of {ROUNDS}"
                f" ({asked} requests, {asked / CHARTS:.1f} per chart)"
            )
            print(f"warm: {warm_seconds * 1000:.1f} ms, {warm_asked} requests")
            restarted = _resolver(registry, scratch / f"cache{ROUNDS - 1}")
            before = len(registry.requests_from("fasit/"))
            seconds, _ = _timed(restarted, wanted)
            restarted.close()
            asked = len(registry.requests_from("fasit/")) - before
            print(f"restart over the disk cache: {seconds * 1000:.0f} ms, {asked} requests")


def _push(registry: OciRegistry) -> list[OciWanted]:
    wanted = []
    for n in range(CHARTS):
        name = f"bench{n:03d}"
        registry.push_chart(f"bench/{name}", Chart.helm(name, "1.0.0"))
        wanted.append(OciWanted(name, registry.url(f"bench/{name}"), "1.0.0"))
    return wanted


def _resolver(registry: OciRegistry, cache: Path) -> OciCharts:
    settings = RegistrySettings(plain_http=frozenset({registry.host}))
    return OciCharts(RegistryClient(settings), OciSettings(cache_dir=cache))


def _timed(
    resolver: OciCharts, wanted: list[OciWanted]
) -> tuple[float, dict[tuple[str, str], ChartOutcome]]:
    started = time.perf_counter()
    outcomes = asyncio.run(resolver.resolve(wanted))
    return time.perf_counter() - started, outcomes


if __name__ == "__main__":
    main()
