"""Benchmark: `fasit validate` on a generated fleet against the libyaml parse floor.

Run: `make bench-validate` (or `.venv/bin/python -m bench.validate_bench`). Prints the figures;
docs/benchmarks.md records them with the machine and date. Nothing here asserts a time.

- validate: the real command, `python -m fasit validate FLEET --format json`, wall time.
- floor: one process that only reads and parses the same YAML files with libyaml
  (`yaml.load_all(..., Loader=yaml.CSafeLoader)`): the state files plus each assigned chart's
  Chart.yaml and Feature.yaml.
Both are whole processes (interpreter start included), median of several runs; the in-process
stages of validate are timed too, to show where the time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.fleet import write_fleet
from fasit.charts import InRepoCharts
from fasit.plan import check_features, resolve_charts
from fasit.state import DirectoryTree, LoadLimits, cross_check, load_state, target

RUNS = 5
FLOOR = """
import sys, yaml
from pathlib import Path
root = Path(sys.argv[1])
paths = [p for p in root.rglob("*.yaml") if "charts" not in p.parts]
paths += list(root.glob("charts/*/*/Chart.yaml")) + list(root.glob("charts/*/*/Feature.yaml"))
documents = 0
for path in paths:
    text = path.read_text(encoding="utf-8")
    documents += sum(1 for _ in yaml.load_all(text, Loader=yaml.CSafeLoader))
print(len(paths), documents)
"""


def wall(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(
            f"{command[:3]} failed ({completed.returncode}): {completed.stderr[-2000:]}"
        )
    return elapsed, completed.stdout


def median_wall(command: list[str]) -> tuple[float, str]:
    wall(command)  # warm the page cache and .pyc files
    results = [wall(command) for _ in range(RUNS)]
    return statistics.median(elapsed for elapsed, _ in results), results[0][1]


def stages(root: Path) -> dict[str, float]:
    """In-process time of each stage of the build, one run, collector paused as validate does."""
    gc.disable()
    try:
        return _stages(root)
    finally:
        gc.enable()


def _stages(root: Path) -> dict[str, float]:
    limits = LoadLimits()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    tree = DirectoryTree(root)
    load = load_state(tree, limits)
    timings["load (walk, read, parse, models)"] = time.perf_counter() - start
    mark = time.perf_counter()
    index, _ = cross_check(load.state)
    timings["cross-checks"] = time.perf_counter() - mark
    mark = time.perf_counter()
    charts, _ = resolve_charts(index, InRepoCharts(tree, load.entries, limits), None)
    timings["charts (read, parse, digest)"] = time.perf_counter() - mark
    mark = time.perf_counter()
    targeting = target(index.environments.values(), index.assignments)
    timings["targeting"] = time.perf_counter() - mark
    mark = time.perf_counter()
    check_features(index, targeting, charts)
    timings["Feature.yaml checks"] = time.perf_counter() - mark
    timings["pairs targeted"] = float(len(targeting.winners))
    return timings


def machine() -> str:
    """CPU model and core count, for the record in docs/benchmarks.md."""
    model = platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores"


def main() -> None:
    argparse.ArgumentParser(description=__doc__.partition("\n")[0]).parse_args()  # --help only
    with tempfile.TemporaryDirectory(prefix="fasit-fleet-") as directory:
        root = Path(directory)
        counts = write_fleet(root)
        validate_s, output = median_wall(
            [sys.executable, "-m", "fasit", "validate", str(root), "--format", "json"]
        )
        summary = json.loads(output)["summary"]
        floor_s, floor_output = median_wall([sys.executable, "-c", FLOOR, str(root)])
        breakdown = stages(root)
    pairs = int(breakdown.pop("pairs targeted"))
    environments, features = summary["environments"], summary["features"]
    print(f"machine: {machine()}, Python {platform.python_version()}")
    print(
        f"fleet: {counts['files']} files, {environments} environments, {features} features,"
        f" {summary['assignments']} assignments, {counts['configs']} configs"
    )
    print(
        f"pairs targeted: {pairs} of {environments * features}"
        f" ({pairs / (environments * features):.0%})"
    )
    print(f"problems: {summary['errors']} errors, {summary['warnings']} warnings")
    print(f"floor (libyaml parse of {floor_output.split()[0]} files): {floor_s * 1000:.0f} ms")
    print(f"fasit validate:                               {validate_s * 1000:.0f} ms")
    print(f"ratio validate / floor:                       {validate_s / floor_s:.2f}x")
    print("in-process stages of validate:")
    for stage, seconds in breakdown.items():
        print(f"  {stage:36} {seconds * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
