"""The one memory policy of fasit's processes: when the cyclic garbage collector runs.

What fasit holds is a heap of long-lived, acyclic objects: parsed documents with their
positions, models, plans, decisions and views, about ten per release. Reference counting
frees them when a revision is replaced; the cyclic collector never finds garbage among them,
yet each of its generation-2 passes walks all of them: 0.6-0.85 s at 100,000 releases, in
whatever happened to be running (a build, a pass, a web request). So:

- **one-shot commands** (`validate`, `plan`, `explain`) run with the collector off
  (`one_shot()`): one build, then the process ends;
- **`fasit serve`** (`ServeMemory`) keeps it off from start until the first pass is decided,
  the one big build, and then, after every plan hand-over and every pass, moves what is alive
  into the permanent generation (`gc.freeze()`). Generation-2 passes then walk only what was
  made since, which is what one revision or one pass made. Young generations are collected
  just before each freeze, so short-lived cycles (exceptions, asyncio's callbacks) are not
  frozen with it.

Frozen objects are still freed by reference counting; only cyclic garbage that was alive at a
freeze is kept for good. bench/memory_bench.py measures that over 500 revisions
(docs/benchmarks.md, "memory policy"). Library code never touches the collector: this module is
the only one that does, and only the wiring (`fasit.cli`, `Controller`) calls it. It imports
nothing of fasit and sits outside `fasit.serve`, so a one-shot command uses it without
importing the server.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["ServeMemory", "frozen_objects", "one_shot"]

START_LIMIT = 300.0
"""Seconds the collector stays off at start when no first pass comes."""


@contextmanager
def one_shot() -> Iterator[None]:
    """The collector off for a command that builds once and exits (restored after, for tests)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ServeMemory:
    """The collector of `fasit serve`: off until the first pass, then frozen after each step.

    `start()` when the controller starts, `handed_over()` after each plan is handed to the
    reconciler, `passed()` after each pass, `stop()` when it stops; all on the event loop.
    The start ends at the first pass, or after `start_limit` seconds when none comes (a first
    revision that cannot be served, a remote that does not answer): the collector is never
    left off for good.
    """

    def __init__(self, start_limit: float = START_LIMIT) -> None:
        self.start_limit = start_limit
        self._was_enabled = gc.isenabled()
        self._starting: asyncio.TimerHandle | None = None
        self.freezes = 0
        """How many times the heap was frozen (for tests and the memory bench)."""

    @property
    def starting(self) -> bool:
        return self._starting is not None

    def start(self) -> None:
        """Collector off: the first build, plan and pass make the whole heap at once."""
        self._was_enabled = gc.isenabled()
        gc.disable()
        loop = asyncio.get_running_loop()
        self._starting = loop.call_later(self.start_limit, self._started)

    def handed_over(self) -> None:
        """A plan reached the reconciler: what the build and plan made is long-lived."""
        if not self.starting:
            self._settle()

    def passed(self) -> None:
        """A pass was decided: so is what it made; after the first, the collector runs."""
        if self.starting:
            self._started()
        else:
            self._settle()

    def stop(self) -> None:
        """The collector as it was before `start()` (what is frozen stays frozen)."""
        if self._starting is not None:
            self._starting.cancel()
            self._starting = None
        if self._was_enabled:
            gc.enable()

    def _started(self) -> None:
        if self._starting is not None:
            self._starting.cancel()
            self._starting = None
        self._settle()
        if self._was_enabled:
            gc.enable()

    def _settle(self) -> None:
        gc.collect(1)
        gc.freeze()
        self.freezes += 1


def frozen_objects() -> int:
    """How many objects are in the permanent generation (for metrics and benchmarks)."""
    return gc.get_freeze_count()
