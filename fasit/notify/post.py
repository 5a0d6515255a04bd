"""One HTTP POST over asyncio streams: the only network code of notifications.

The dispatcher calls `post` for each attempt, inside its own timeout. Plain asyncio (no thread,
no HTTP library): cancelling an attempt cancels the connection at once, so a slow receiver
never holds `fasit serve`'s shutdown. It reads the status line and headers (bounded) and
never the body; it follows no redirect.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import SplitResult, unquote, urlsplit

from fasit import __version__
from fasit.errors import RetryableError

__all__ = ["MAX_HEADER_BYTES", "Answer", "BadAnswer", "Outgoing", "post"]

MAX_HEADER_BYTES = 65_536
"""A receiver's status line and headers, at most; a longer answer is a BadAnswer."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What one sink sends for one event: the exact body bytes and the extra headers."""

    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Answer:
    """The receiver's status, and its Retry-After in seconds (None without one)."""

    status: int
    retry_after: float | None = None


class BadAnswer(RetryableError, OSError):
    """The receiver answered something that is not HTTP/1.x (or too much of it).

    An OSError too, so the dispatcher retries it as it retries a connection that failed.
    """


async def post(
    url: str,
    outgoing: Outgoing,
    *,
    now: datetime | None = None,
    tls: ssl.SSLContext | None = None,
) -> Answer:
    """POST `outgoing` to `url` (http or https) and return the receiver's answer.

    `tls` verifies https receivers (default: the system's CAs, read from disk on each call:
    long-running callers make one context off the loop and pass it). Raises OSError
    (BadAnswer included) when it cannot connect or the answer is not HTTP; the caller bounds
    the time.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    context = (tls or ssl.create_default_context()) if secure else None
    reader, writer = await asyncio.open_connection(
        host, port, ssl=context, server_hostname=host if secure else None, limit=MAX_HEADER_BYTES
    )
    try:
        writer.write(_request(parts, outgoing))
        await writer.drain()
        return await _answer(reader, now or datetime.now(UTC))
    finally:
        # Nothing more is read: close at once, without waiting on the receiver (or TLS).
        writer.transport.abort()


def _request(parts: SplitResult, outgoing: Outgoing) -> bytes:
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Host": parts.netloc.rpartition("@")[2],
        "User-Agent": f"fasit/{__version__}",
        "Content-Type": outgoing.content_type,
        "Content-Length": str(len(outgoing.body)),
        "Connection": "close",
        **outgoing.headers,
    }
    if parts.username is not None:
        user = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(user.encode()).decode()
    lines = [f"POST {target} HTTP/1.1", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + outgoing.body


async def _answer(reader: asyncio.StreamReader, now: datetime) -> Answer:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError as exc:
        raise BadAnswer(f"answer headers over {MAX_HEADER_BYTES} bytes") from exc
    except asyncio.IncompleteReadError as exc:
        raise BadAnswer("connection closed before an answer") from exc
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise BadAnswer(f"not an HTTP answer: {status_line[:80]!r}")
    retry_after = None
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.strip().lower() == "retry-after":
            retry_after = _retry_after(value.strip(), now)
    return Answer(int(code), retry_after)


def _retry_after(value: str, now: datetime) -> float | None:
    """Seconds from a Retry-After of either form (delta-seconds or an HTTP date)."""
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
