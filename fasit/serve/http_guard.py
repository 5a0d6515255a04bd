"""The web server's guard against clients that hold connections: slow headers, too many.

Every connection costs a file descriptor. Without a bound, a thousand clients that send half a
request line each used up a 1,024-file limit: `/healthz` stopped answering and asyncio logged
every failed accept. So `fasit serve` first raises its soft open-file limit to the hard one,
then holds HTTP connections to half of it (the rest is for agents, the status store, git and
charts): a connection over the cap is answered 503 and closed at once, so its descriptor is
back before the next accept. A client has `header_timeout` seconds from connecting (or from
the first byte of its next request on a kept-alive connection) to send its request headers;
then it is closed.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from fasit.options import HEADER_TIMEOUT

__all__ = ["HEADER_TIMEOUT", "GuardedH11Protocol", "connection_cap", "raise_open_file_limit"]

_log = logging.getLogger("fasit.serve.http")
_FLOOR = 16
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


def raise_open_file_limit() -> int:
    """Raise the soft open-file limit to the hard one; the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as exc:  # a container may refuse; keep what there is
            _log.warning("cannot raise the open-file limit from %d to %d: %s", soft, hard, exc)
            return soft
        _log.info("open-file limit raised from %d to %d", soft, hard)
        return hard
    return soft


def connection_cap(open_files: int) -> int:
    """How many HTTP connections at once, for a process allowed `open_files` descriptors."""
    return max(_FLOOR, open_files // 2)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, with a connection cap and a deadline for request headers.

    `cap` and `header_timeout` are class attributes: uvicorn makes one instance per connection
    from the class, so `guarded` makes a class with the values bound.
    """

    cap: int = 1024
    header_timeout: float = HEADER_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._headers_due: asyncio.TimerHandle | None = None

    @classmethod
    def guarded(cls, cap: int, header_timeout: float) -> type[GuardedH11Protocol]:
        return type(cls.__name__, (cls,), {"cap": cap, "header_timeout": header_timeout})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.cap:
            transport.write(_BUSY)
            transport.close()
            return
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._await_headers()  # a request begun and not yet whole, or the next one
        else:
            self._headers_arrived()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        # Armed once per request: bytes that trickle in do not push the deadline back.
        if self._headers_due is None:
            self._headers_due = self.loop.call_later(self.header_timeout, self._too_slow)

    def _headers_arrived(self) -> None:
        if self._headers_due is not None:
            self._headers_due.cancel()
            self._headers_due = None

    def _too_slow(self) -> None:
        self._headers_due = None
        if self.conn.their_state is h11.IDLE:
            _log.debug("closed a connection that sent no request headers in time")
            self.transport.close()
