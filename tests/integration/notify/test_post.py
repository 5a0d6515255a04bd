"""One POST over asyncio streams against real servers on 127.0.0.1: what it reads and refuses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from fasit.notify import MAX_HEADER_BYTES, Answer, BadAnswer, Outgoing, post

NOW = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)


@asynccontextmanager
async def answering(answer: bytes) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server that reads one request, answers `answer` and hangs up; yields its URL."""
    requests: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.startswith(b"Content-Length")
        )
        requests.append(head + await reader.readexactly(length))
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hooks/fasit?tenant=acme", requests
    finally:
        server.close()
        await server.wait_closed()


async def test_the_request_is_one_post_with_the_body_and_headers_given() -> None:
    async with answering(b"HTTP/1.1 204 No Content\r\n\r\n") as (url, requests):
        answer = await post(url, Outgoing(b'{"a":1}', {"X-Fasit-Event": "x"}), now=NOW)

    assert answer == Answer(204)
    head, body = requests[0].split(b"\r\n\r\n", 1)
    assert head.split(b"\r\n")[0] == b"POST /hooks/fasit?tenant=acme HTTP/1.1"
    assert b"X-Fasit-Event: x" in head.split(b"\r\n")
    assert b"Content-Length: 7" in head.split(b"\r\n")
    assert body == b'{"a":1}'


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("Retry-After: 7", 7.0), ("Retry-After: Sat, 05 Dec 2026 22:00:30 GMT", 30.0)],
    ids=["seconds", "an HTTP date"],
)
async def test_retry_after_is_read_in_either_form(header: str, seconds: float) -> None:
    answer = f"HTTP/1.1 503 Busy\r\n{header}\r\n\r\n".encode()
    async with answering(answer) as (url, _):
        assert await post(url, Outgoing(b"{}"), now=NOW) == Answer(503, seconds)


async def test_an_answer_that_is_not_http_is_a_bad_answer() -> None:
    async with answering(b"SSH-2.0-OpenSSH_9.2\r\n\r\n") as (url, _):
        with pytest.raises(BadAnswer, match=r"not an HTTP answer: 'SSH-2\.0-OpenSSH_9\.2'"):
            await post(url, Outgoing(b"{}"), now=NOW)


async def test_headers_past_the_bound_are_a_bad_answer() -> None:
    endless = b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * (MAX_HEADER_BYTES + 10) + b"\r\n\r\n"
    async with answering(endless) as (url, _):
        with pytest.raises(BadAnswer, match=f"answer headers over {MAX_HEADER_BYTES} bytes"):
            await post(url, Outgoing(b"{}"), now=NOW)


async def test_a_server_that_hangs_up_without_answering_is_a_bad_answer() -> None:
    async with answering(b"") as (url, _):
        with pytest.raises(BadAnswer, match="connection closed before an answer"):
            await post(url, Outgoing(b"{}"), now=NOW)
