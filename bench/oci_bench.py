"""Benchmark: resolving 200 oci:// chart versions from a real registry on loopback (Debian
docker-registry), each packaged and pushed by Helm's own engine (helm-python-sdk).

Run: `make bench` (or `.venv/bin/python -m bench.oci_bench`). Prints the figures; docs/benchmarks.md
records them with the machine and date. Nothing here asserts a time.

The chart is the exporter of tests/fixtures/helm-charts/ (a Deployment, a Service, helpers,
Feature.yaml), packaged by `helm_python.package` at versions 2.4.0 … 2.4.199 and pushed by
`helm_python.push`: Helm's gzip header, Helm's manifest, Helm's config blob. Two layouts: all
200 versions in one repository, and each version in a repository of its own (as the runs before
2026-12-05 pushed 200 charts), since requests to one repository are sent one at a time.

- cold: a fresh resolver and an empty disk cache: per chart a tag lookup (HEAD), the manifest and
  the chart layer, 8 at a time; median of 3 (each with a fresh resolver and cache).
- warm: the same resolver again: tags within their lifetime, charts in memory (requests counted
  in the registry's own log).
- restart: a fresh resolver over the warm disk cache: one HEAD per tag, nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import helm_python

from bench.validate_bench import machine
from fasit.charts import (
    ChartOutcome,
    OciCharts,
    OciSettings,
    OciWanted,
    RegistryClient,
    RegistrySettings,
)
from tests.helm_charts import prepare
from tests.integration.oci_registry import OciRegistry

CHARTS = 200
CHART = "exporter"
ROUNDS = 3
ONE_REPOSITORY = "one-repository"  # bench/exporter:2.4.0 … :2.4.199, a chart's real history
MANY_REPOSITORIES = "many-repositories"  # NNN/exporter:2.4.NNN, the earlier runs' layout
LAYOUTS = (ONE_REPOSITORY, MANY_REPOSITORIES)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.partition("\n")[0]).parse_args()  # --help only
    with tempfile.TemporaryDirectory(prefix="fasit-oci-bench-") as directory:
        scratch = Path(directory)
        with OciRegistry(scratch / "registry") as registry:
            print(f"{machine()}; registry {registry.host}")
            for layout in LAYOUTS:
                started = time.perf_counter()
                wanted = _push(registry, scratch / layout, layout)
                pushed = time.perf_counter() - started
                print(f"{layout}: helm package + helm push of {CHARTS} versions: {pushed:.1f} s")
                _measure(registry, scratch / layout, wanted)


def _measure(registry: OciRegistry, scratch: Path, wanted: list[OciWanted]) -> None:
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
        f"  cold: {statistics.median(cold) * 1000:.0f} ms median of {ROUNDS}"
        f" ({asked} requests, {asked / CHARTS:.1f} per chart)"
    )
    print(f"  warm: {warm_seconds * 1000:.1f} ms, {warm_asked} requests")
    restarted = _resolver(registry, scratch / f"cache{ROUNDS - 1}")
    before = len(registry.requests_from("fasit/"))
    seconds, _ = _timed(restarted, wanted)
    restarted.close()
    asked = len(registry.requests_from("fasit/")) - before
    print(f"  restart over the disk cache: {seconds * 1000:.0f} ms, {asked} requests")


def _push(registry: OciRegistry, scratch: Path, layout: str) -> list[OciWanted]:
    chart = prepare(CHART, scratch / "source")
    wanted = []
    for n in range(CHARTS):
        version = f"2.4.{n}"
        archive = helm_python.package(chart, destination=scratch / "packaged", version=version)
        root = f"{layout}/{n:03d}" if layout == MANY_REPOSITORIES else layout
        helm_python.push(archive, registry.url(root), plain_http=True)
        wanted.append(OciWanted(CHART, registry.url(f"{root}/{CHART}"), version))
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
