"""A `fasit` command with the cyclic collector's generation-2 collections logged, for
bench/web_bench.py's `--server-gc-log`: `python -m bench.web_gc_probe LOG serve ...` runs
`fasit serve ...` as `python -m fasit` does, and appends one line per collection to LOG:
`MONOTONIC-START MILLISECONDS COLLECTED` (CLOCK_MONOTONIC, comparable across processes).

`python -m bench.web_gc_probe --no-policy LOG serve ...` runs it without its memory policy
(`ServeMemory` does nothing: the collector as Python leaves it), to measure what the policy buys.
"""

from __future__ import annotations

import gc
import sys
import time


def main() -> int:
    if sys.argv[1] == "--no-policy":
        del sys.argv[1]
        from fasit.serve import ServeMemory

        for step in ("start", "handed_over", "passed", "stop"):
            setattr(ServeMemory, step, lambda self: None)
    log = open(sys.argv.pop(1), "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (kept open)
    started = [0.0]

    def collected(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started[0] = time.monotonic()
        else:
            took = (time.monotonic() - started[0]) * 1000
            log.write(f"{started[0]:.6f} {took:.2f} {info['collected']}\n")

    gc.callbacks.append(collected)
    from fasit.cli import main as fasit

    sys.argv[0] = "fasit"
    return fasit()


if __name__ == "__main__":
    raise SystemExit(main())
