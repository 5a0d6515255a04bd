"""Live-update clients over a real connection: a page that closes its event stream is
forgotten at once, not at the next keepalive (issue 19.10)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.applications import Starlette

from fasit.serve.http_guard import GuardedH11Protocol
from fasit.web.auth import Authenticate
from fasit.web.live import EVENTS_PATH, LiveUpdates
from tests.integration.processes import LOOPBACK, free_port
from tests.integration.waiting import eventually

# Far beyond the wait below: a client may only be forgotten because its connection closed.
KEEPALIVE = 3600.0


@pytest.fixture
async def served() -> AsyncIterator[tuple[LiveUpdates, int]]:
    live = LiveUpdates(lambda viewer: 0, keepalive=KEEPALIVE)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Authenticate(Starlette(routes=[live.route()])),
            host=LOOPBACK,
            port=port,
            log_config=None,
            lifespan="off",
            http=GuardedH11Protocol.guarded(16, 5.0),
        )
    )
    serving = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, "the web server to listen")
    yield live, port
    live.close()
    server.should_exit = True
    await serving


async def open_stream(port: int) -> asyncio.StreamWriter:
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    writer.write(f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: fasit\r\n\r\n".encode())
    await reader.readuntil(b"event: hello")
    return writer


async def test_a_closed_event_stream_is_no_longer_a_live_client(
    served: tuple[LiveUpdates, int],
) -> None:
    live, port = served
    streams = [await open_stream(port) for _ in range(3)]
    assert live.clients == 3

    for writer in streams:
        writer.close()
        await writer.wait_closed()

    await eventually(lambda: live.clients == 0, "every closed stream to be forgotten")
