"""Waiting for a condition that a background task brings about, with a deadline."""

from __future__ import annotations

import asyncio
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
