"""The status store's write queue: bounded, drained in batches by one task, flushable.

Shared by both stores: `record_*` put writes here and return at once; one task takes what is
queued (up to a batch) and hands it to the store's `write_batch`, which runs it in one
transaction off the event loop; a batch that fails is tried again for about 15 s (a database
restarting or failing over), then given up and logged. Beyond `max_queued` a write is dropped
and counted by table (agent log lines already beyond half of it, so the rows a restart recovers
from go first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fasit.errors import CouldNotRun

__all__ = ["StoreError", "Write", "WriteQueue"]

logger = logging.getLogger(__name__)

# Seconds between attempts at one batch (about 15 s in all), then it is given up.
_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)


class StoreError(CouldNotRun):
    """The status store cannot be used: unreachable, unreadable, or written by a newer fasit."""


@dataclass(frozen=True, slots=True)
class Write:
    """One statement to write, in `?` placeholder style (each store adapts it)."""

    table: str
    sql: str
    parameters: tuple[object, ...]
    pair: tuple[str, str] | None = None
    """The (environment, feature) whose history grew: retention looks at it next time."""
    instruction: str | None = None
    """The instruction whose log lines grew: retention trims them next time."""


class WriteQueue:
    """Writes waiting for `write_batch`; `start` once, then `put`, `flush`, and `stop`."""

    def __init__(
        self,
        write_batch: Callable[[list[Write]], Awaitable[None]],
        batch_size: int,
        max_queued: int,
    ) -> None:
        self._write_batch = write_batch
        self._batch_size = batch_size
        self._max_queued = max_queued
        self._queue: asyncio.Queue[Write | asyncio.Future[None] | None] = asyncio.Queue()
        self._queued = 0
        self._task: asyncio.Task[None] | None = None
        self._stop_requested = asyncio.Event()
        self.dropped: Counter[str] = Counter()
        """Writes dropped because the queue was full, by table."""

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        self._task = asyncio.create_task(self._drain(), name="status-store-writer")

    def put(self, write: Write) -> None:
        limit = self._max_queued // 2 if write.table == "logs" else self._max_queued
        if self._queued >= limit:
            if not self.dropped:
                logger.warning("status store: writes queue faster than they are written; dropping")
            self.dropped[write.table] += 1
            return
        self._queued += 1
        self._queue.put_nowait(write)

    async def flush(self) -> None:
        """Return once everything put before the call is written."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(done)
        await done

    async def stop(self) -> None:
        """Write what is queued, then end the task; idempotent."""
        task, self._task = self._task, None
        if task is not None:
            self._stop_requested.set()  # a batch being retried is given up, not waited for
            self._queue.put_nowait(None)
            await task

    async def _drain(self) -> None:
        stopping = False
        while not stopping:
            batch: list[Write] = []
            waiters: list[asyncio.Future[None]] = []
            item = await self._queue.get()
            while True:
                if item is None:
                    stopping = True
                elif isinstance(item, asyncio.Future):
                    waiters.append(item)
                else:
                    batch.append(item)
                    self._queued -= 1
                if stopping or len(batch) >= self._batch_size or self._queue.empty():
                    break
                item = self._queue.get_nowait()
            error = await self._write_with_retries(batch) if batch else None
            _settle(waiters, error)

    async def _write_with_retries(self, batch: list[Write]) -> StoreError | None:
        """Write the batch; a database gone for a moment (a restart, a failover) is tried again
        a few times, while later writes queue up to the bound. None once written."""
        for delay in (*_RETRY_DELAYS, None):
            try:
                await self._write_batch(batch)
                return None
            except Exception as exc:
                if delay is None or self._stop_requested.is_set():
                    # The store is history, not desired state: losing a batch must not stop
                    # the reconciler. Say so loudly; the waiters learn it too.
                    logger.exception("status store: a batch of %d writes was lost", len(batch))
                    return StoreError(f"status store write failed: {exc}")
                logger.warning(
                    "status store: writing failed, trying again in %.1f s: %s", delay, exc
                )
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._stop_requested.wait()
        return None


def _settle(waiters: list[asyncio.Future[None]], error: Exception | None) -> None:
    for waiter in waiters:
        if waiter.done():
            continue
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)
