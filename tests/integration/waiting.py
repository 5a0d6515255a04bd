"""Waiting for a condition that a background task brings about, with a deadline."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable

DEADLINE = 15.0


async def eventually(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Return once `condition()` holds; fail naming `what` after `timeout` seconds.

    Polls every 20 ms: the sources under test run in the same loop, so this only yields to them.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


def report_stuck_tasks(after: float) -> asyncio.TimerHandle:
    """Print every task's stack to stderr after `after` seconds, unless cancelled first.

    pytest-timeout shows only thread stacks; a test hung on an await needs the tasks' stacks to
    say which await. Schedule it below the timeout and cancel it when the test ends.
    """

    def report() -> None:
        print(f"\n--- asyncio tasks still pending after {after} s ---", file=sys.stderr)
        for task in asyncio.all_tasks():
            task.print_stack(limit=12, file=sys.stderr)

    return asyncio.get_running_loop().call_later(after, report)
