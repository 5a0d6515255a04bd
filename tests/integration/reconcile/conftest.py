from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fasit.backoff import Backoff
from fasit.reconcile import Limits, ReconcileConfig
from tests.integration.reconcile.support import Fleet
from tests.integration.waiting import report_stuck_tasks

# Passes come from events and plans; the timer is out of the way unless a test wants it.
QUIET = ReconcileConfig(
    interval=3600.0,
    limits=Limits(per_environment=1, fleet=50, circuit_threshold=3),
    retry=Backoff(initial=3600.0, maximum=3600.0, jitter=0.0, attempts=8),
)


@pytest.fixture(autouse=True)
async def _report_a_hang() -> AsyncIterator[None]:
    """A reconcile test stuck on an await says where, before pytest-timeout ends it."""
    handle = report_stuck_tasks(after=90.0)
    yield
    handle.cancel()


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[Fleet]:
    running = Fleet(tmp_path, reconcile=QUIET)
    await running.start()
    try:
        yield running
    finally:
        await running.close()
