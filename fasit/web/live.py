"""Live updates by Server-Sent Events: `GET /api/v1/events` says "changed" when what the pages
show may have changed, at most once per `min_interval`; pages then fetch themselves again.

Each client has a bounded queue: a client too slow to read loses its oldest notices, never
the newest (a notice carries no data a page needs, only that it should look again). Streams
end when `close()` is called (shutdown), so they never hold the server open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Hashable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = ["EVENTS_PATH", "LiveUpdates"]

EVENTS_PATH = "/api/v1/events"

_CLOSED = object()


class LiveUpdates:
    """Tells every connected page when the state it shows moved."""

    def __init__(
        self,
        state: Callable[[], Hashable],
        queue_size: int = 8,
        max_clients: int = 500,
        min_interval: float = 0.5,
        keepalive: float = 15.0,
        poll: float = 1.0,
    ) -> None:
        self._state = state
        self.queue_size = queue_size
        self.max_clients = max_clients
        self.min_interval = min_interval
        self.keepalive = keepalive
        self.poll = poll
        """Seconds between looks at `state()` when nobody notified: changes that come without
        a notice (an agent's acknowledgement between passes) still reach pages."""
        self._clients: set[asyncio.Queue[object]] = set()
        self._changed = asyncio.Event()
        self._closed = False
        self.sent = 0
        self.dropped = 0
        """Notices dropped from a slow client's full queue (its newest is always kept)."""

    @property
    def clients(self) -> int:
        return len(self._clients)

    def notify(self) -> None:
        """Something may have changed; clients hear of it if `state()` differs."""
        self._changed.set()

    async def run(self) -> None:
        """Broadcast state changes until cancelled, at most once per `min_interval`."""
        last = self._state()
        while True:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancellation
            # that arrives as the wait completes, and the task then outlives the server.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await self._changed.wait()
            self._changed.clear()
            now = self._state()
            if now != last:
                last = now
                self._broadcast(json.dumps({"state": str(hash(now))}))
            await asyncio.sleep(self.min_interval)

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        self._closed = True
        for queue in self._clients:
            self._offer(queue, _CLOSED)

    def route(self) -> Route:
        return Route(EVENTS_PATH, self._events)

    async def _events(self, request: Request) -> Response:
        if self._closed:
            return PlainTextResponse("503: stopping\n", status_code=503)
        if len(self._clients) >= self.max_clients:
            return PlainTextResponse(
                f"503: {self.max_clients} live clients already; reload later\n",
                status_code=503,
                headers={"Retry-After": "30"},
            )
        return StreamingResponse(
            self.connect(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    def connect(self) -> AsyncIterator[str]:
        """A new client's stream of Server-Sent Events, registered from now on."""
        queue: asyncio.Queue[object] = asyncio.Queue(self.queue_size)
        self._clients.add(queue)
        return self._stream(queue)

    async def _stream(self, queue: asyncio.Queue[object]) -> AsyncIterator[str]:
        try:
            yield "retry: 2000\nevent: hello\ndata: {}\n\n"
            while True:
                try:
                    async with asyncio.timeout(self.keepalive):
                        notice = await queue.get()
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if notice is _CLOSED:
                    return
                self.sent += 1
                yield f"event: change\ndata: {notice}\n\n"
        finally:
            self._clients.discard(queue)

    def _broadcast(self, notice: str) -> None:
        if self._closed:
            return  # each queue ends with the close notice; nothing may push it out
        for queue in self._clients:
            self._offer(queue, notice)

    def _offer(self, queue: asyncio.Queue[object], notice: object) -> None:
        while True:
            try:
                queue.put_nowait(notice)
                return
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                    self.dropped += 1
