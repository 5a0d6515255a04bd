"""Live updates by Server-Sent Events: `GET /api/v1/events` says "changed" when what the pages
show may have changed, at most once per `min_interval`; pages then fetch themselves again.

What a page shows depends on who looks: `state(viewer)` is compared per tenant set of the
connected clients, and a notice goes only to the clients whose own state moved, so a change
in one tenant's environments never reaches another tenant's page.

Each client has a bounded queue: a client too slow to read loses its oldest notices, never
the newest (a notice carries no data a page needs, only that it should look again). Streams
end when `close()` is called (shutdown), so they never hold the server open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from fasit.web.viewer import OPEN, Viewer, viewer_of

__all__ = ["EVENTS_PATH", "LiveUpdates"]

EVENTS_PATH = "/api/v1/events"

_CLOSED = object()


@dataclass(slots=True)
class _Audience:
    """The clients of one tenant set, and the state they were last told about."""

    viewer: Viewer
    last: Hashable
    queues: set[asyncio.Queue[object]]


class LiveUpdates:
    """Tells every connected page when the state it shows moved."""

    def __init__(
        self,
        state: Callable[[Viewer], Hashable],
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
        self._audiences: dict[frozenset[str] | None, _Audience] = {}
        self._changed = asyncio.Event()
        self._closed = False
        self.sent = 0
        self.dropped = 0
        """Notices dropped from a slow client's full queue (its newest is always kept)."""

    @property
    def clients(self) -> int:
        return sum(len(audience.queues) for audience in self._audiences.values())

    def notify(self) -> None:
        """Something may have changed; clients hear of it if `state()` differs."""
        self._changed.set()

    async def run(self) -> None:
        """Broadcast state changes until cancelled, at most once per `min_interval`."""
        while True:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancellation
            # that arrives as the wait completes, and the task then outlives the server.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await self._changed.wait()
            self._changed.clear()
            for audience in list(self._audiences.values()):
                now = self._state(audience.viewer)
                if now != audience.last:
                    audience.last = now
                    self._broadcast(audience, json.dumps({"state": str(hash(now))}))
            await asyncio.sleep(self.min_interval)

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        self._closed = True
        for audience in self._audiences.values():
            for queue in audience.queues:
                self._offer(queue, _CLOSED)

    def route(self) -> Route:
        return Route(EVENTS_PATH, self._events)

    async def _events(self, request: Request) -> Response:
        if self._closed:
            return PlainTextResponse("503: stopping\n", status_code=503)
        if self.clients >= self.max_clients:
            return PlainTextResponse(
                f"503: {self.max_clients} live clients already; reload later\n",
                status_code=503,
                headers={"Retry-After": "30"},
            )
        return StreamingResponse(
            self.connect(viewer_of(request)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    def connect(self, viewer: Viewer = OPEN) -> AsyncIterator[str]:
        """A new client's stream of Server-Sent Events for `viewer`, registered from now on."""
        queue: asyncio.Queue[object] = asyncio.Queue(self.queue_size)
        key = viewer.tenants
        audience = self._audiences.get(key)
        if audience is None:
            audience = self._audiences[key] = _Audience(viewer, self._state(viewer), set())
        audience.queues.add(queue)
        return self._stream(key, queue)

    async def _stream(
        self, key: frozenset[str] | None, queue: asyncio.Queue[object]
    ) -> AsyncIterator[str]:
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
            audience = self._audiences.get(key)
            if audience is not None:
                audience.queues.discard(queue)
                if not audience.queues:
                    del self._audiences[key]

    def _broadcast(self, audience: _Audience, notice: str) -> None:
        if self._closed:
            return  # each queue ends with the close notice; nothing may push it out
        for queue in audience.queues:
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
