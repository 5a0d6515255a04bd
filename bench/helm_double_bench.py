"""Benchmark: one `helm upgrade --install` through the helm test double, as the executor's tests
run it.

Run: `make bench` (or `.venv/bin/python -m bench.helm_double_bench`). Prints the figures;
docs/benchmarks.md records them with the machine and date. Nothing here asserts a time.

Chart web 1.0.0 is pushed to a real registry on loopback (Debian docker-registry). Each round
runs the arguments naisd builds (`upgrade_args`, with `--plain-http`) as a new process: Python
starts, the double pulls the chart by digest, Helm's engine renders it, the release is written
(each round the next revision of one release). The floor is `helm version` through the same
double: process start and the double's own imports, without the Helm library, pull or render.
The split times the same steps in this process: the library's import (once, cold), a pull by
digest and a load + render (medians).
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.validate_bench import machine
from naisd import Action, Work
from naisd.helm import upgrade_args
from tests.integration.agents.helm_fixtures import HelmDouble, make_helm_double
from tests.integration.oci_registry import OciRegistry

ROUNDS = 20


def main() -> None:
    argparse.ArgumentParser(description=__doc__.partition("\n")[0]).parse_args()  # --help only
    with tempfile.TemporaryDirectory(prefix="fasit-helm-double-bench-") as directory:
        scratch = Path(directory)
        with OciRegistry(scratch / "registry") as registry:
            double = make_helm_double(scratch, registry)
            values = scratch / "values.yaml"
            values.write_text(json.dumps({"replicas": 2}), encoding="utf-8")
            work = Work(
                id="bench",
                release="web",
                namespace="apps",
                chart=double.web.chart,
                digest=double.web.digest,
                version=double.web.version,
                values={},
                release_hash="",
                timeout=30.0,
                action=Action.INSTALL,
            )
            upgrade = upgrade_args(work, values, plain_http={registry.host})
            floor = [_timed(double, ["version"]) for _ in range(ROUNDS)]
            rounds = [_timed(double, upgrade) for _ in range(ROUNDS)]
            revision = (double.release("apps", "web") or {}).get("revision")
            split = _split(f"{double.web.chart}@{double.web.digest}", scratch / "pulls")
    print(f"{machine()}; registry on loopback; {ROUNDS} rounds each")
    print(f"helm upgrade --install: {_summary(rounds)} (last revision {revision})")
    print(f"helm version (floor):   {_summary(floor)}")
    print(
        f"pull + render + write:  {statistics.median(rounds) - statistics.median(floor):.0f} ms"
        " (difference of the medians)"
    )
    print("split: " + ", ".join(f"{step} {ms:.1f} ms" for step, ms in split.items()))


def _split(reference: str, pulls: Path) -> dict[str, float]:
    """The library's cold import, then the median pull and load + render, in this process."""
    started = time.perf_counter()
    helm = importlib.import_module("helm_python")  # timed: the first import loads the library
    imported = (time.perf_counter() - started) * 1000

    pulls.mkdir()

    def pull() -> None:
        helm.pull(reference, destination=pulls, plain_http=True)  # the same file each time

    pull_ms = statistics.median(_in_process(pull) for _ in range(ROUNDS))
    [archive] = pulls.iterdir()

    def render() -> None:
        with helm.Chart.load(archive) as chart:
            chart.render({"replicas": 2}, name="web", namespace="apps", revision=1)

    render_ms = statistics.median(_in_process(render) for _ in range(ROUNDS))
    return {"import": imported, "pull": pull_ms, "load + render": render_ms}


def _in_process(step: Callable[[], None]) -> float:
    started = time.perf_counter()
    step()
    return (time.perf_counter() - started) * 1000


def _timed(double: HelmDouble, args: list[str]) -> float:
    """Milliseconds from starting `helm ARGS` until it exited 0."""
    started = time.perf_counter()
    subprocess.run(["helm", *args], env=double.environ, check=True, capture_output=True)
    return (time.perf_counter() - started) * 1000


def _summary(milliseconds: list[float]) -> str:
    ordered = sorted(milliseconds)
    return (
        f"median {statistics.median(ordered):.0f} ms,"
        f" min {ordered[0]:.0f} ms, max {ordered[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
