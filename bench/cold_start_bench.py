"""Benchmark: `fasit serve`'s cold start at scale, against `fasit validate` on the same fleet.

Run: `.venv/bin/python -m bench.cold_start_bench [--runs 3]`. Prints the figures;
docs/benchmarks.md records them. Nothing here asserts a time or a size.

The benchmark fleet of bench/validate_bench.py (1,000 environments, 200 features, 87,320
targeted pairs; `--tenants` and `--features` change it) is served by `python -m fasit serve
--state-dir` as a process, with an agent-token file that names no agent (no agent connects, so
the first pass decides every release as waiting for its agent, and nothing else runs). From
the process's start, by the server's own log lines as they arrive:

- *ready*: the revision is served (what /readyz answers 200 for);
- *planned*: its plan is made;
- *first pass decided*: the first decision is logged (decisions are logged as the pass
  records them, right after it decided).

Then, two seconds later, its resident memory (VmRSS), in total and per 10,000 releases. The
ratio partner is `python -m fasit validate FLEET --format json` on the same files, a whole
process too, measured in the same run (median of `--runs`, each after the serve runs).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.fleet import write_fleet
from bench.validate_bench import machine, wall
from fasit.agents import write_token_file
from tests.integration.processes import LOOPBACK, free_port

MARKS = {
    "ready": "served (",
    "planned": "planned revision ",
    "decided": "decision ",
}


@dataclass
class ColdStart:
    marks: dict[str, float] = field(default_factory=dict)
    """Seconds from the process's start to the first log line of each mark."""
    rss_mib: float = 0.0
    releases: int = 0


def serve_once(root: Path, timeout: float) -> ColdStart:
    tokens = root / "tokens.yaml"
    write_token_file(tokens, {})
    status = root / "status"
    status.mkdir(exist_ok=True)
    (status / "status.db").unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "fasit",
        "serve",
        "--state-dir",
        str(root / "state"),
        "--agent-tokens",
        str(tokens),
        "--http-addr",
        f"{LOOPBACK}:{free_port()}",
        "--grpc-addr",
        f"{LOOPBACK}:{free_port()}",
        "--status-db",
        str(status / "status.db"),
    ]
    result = ColdStart()
    all_marked = threading.Event()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd=Path(__file__).parents[1]
    )

    def read() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            line = raw.decode(errors="replace")
            now = time.perf_counter() - started
            for mark, text in MARKS.items():
                if mark not in result.marks and text in line:
                    result.marks[mark] = now
                    if mark == "planned":
                        result.releases = int(line.split(": ", 2)[2].split(" releases")[0])
            if len(result.marks) == len(MARKS):
                all_marked.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not all_marked.wait(timeout):
            raise RuntimeError(f"not every mark within {timeout:.0f} s: {result.marks}")
        time.sleep(2.0)
        status_text = Path(f"/proc/{process.pid}/status").read_text(encoding="utf-8")
        for line in status_text.splitlines():
            if line.startswith("VmRSS:"):
                result.rss_mib = int(line.split()[1]) / 1024
    finally:
        process.terminate()
        process.wait(timeout=60)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--tenants", type=int, default=20, help="x50 environments (20)")
    parser.add_argument("--features", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0, help="per serve run (600 s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fasit-cold-start-") as directory:
        root = Path(directory)
        write_fleet(root / "state", tenants=args.tenants, features=args.features)
        runs = [serve_once(root, args.timeout) for _ in range(args.runs)]
        validate = [
            wall(
                [sys.executable, "-m", "fasit", "validate", str(root / "state"), "--format", "json"]
            )[0]
            for _ in range(args.runs)
        ]
    releases = runs[0].releases
    validate_s = statistics.median(validate)
    print(f"machine: {machine()}")
    print(f"fleet: {args.tenants * 50} environments, {args.features} features: {releases} releases")
    print(f"fasit validate (whole process), median of {args.runs}: {validate_s * 1000:.0f} ms")
    for mark in MARKS:
        seconds = statistics.median(run.marks[mark] for run in runs)
        print(
            f"serve start -> {mark:8s} median {seconds * 1000:7.0f} ms"
            f"  ({seconds / validate_s:.2f}x validate; runs: "
            + ", ".join(f"{run.marks[mark] * 1000:.0f}" for run in runs)
            + ")"
        )
    rss = statistics.median(run.rss_mib for run in runs)
    print(
        f"RSS after the first pass: {rss:.0f} MiB"
        f" ({rss / releases * 10_000:.1f} MiB per 10,000 releases)"
    )


if __name__ == "__main__":
    main()
