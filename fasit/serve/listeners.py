"""The web listeners of `fasit serve`: a socket bound up front, a uvicorn server over it (HTTPS
with TLS, behind the connection guard), and waiting until it serves.

`Controller` runs the main listener (dashboard, API) and, with `--metrics-addr`, one for
/metrics alone. What they serve is decided by the controller, never here.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from fasit.serve.config import ServeConfig
from fasit.serve.http_guard import GuardedH11Protocol

__all__ = ["bind", "until_listening", "web_server"]


def web_server(
    app: ASGIApp, config: ServeConfig, tls: tuple[Path, Path] | None = None
) -> uvicorn.Server:
    """A uvicorn server for `app`, with the config's connection cap and header deadline."""
    return uvicorn.Server(
        uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
            http=GuardedH11Protocol.guarded(config.http_connections, config.header_timeout),
            ssl_certfile=None if tls is None else tls[0],
            ssl_keyfile=None if tls is None else tls[1],
        )
    )


def bind(host: str, port: int, flag: str) -> socket.socket:
    """The listening socket, bound here rather than by uvicorn: a port in use is an OSError
    for the caller to report (naming `flag`), where uvicorn would end the process with
    SystemExit from inside a task."""
    try:
        listening = socket.create_server((host, port), reuse_port=False)
    except OSError as exc:
        raise OSError(f"cannot listen on {host}:{port} ({flag}): {exc.strerror}") from exc
    listening.setblocking(False)
    return listening


async def until_listening(web: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    """Return once the web server serves; raise if it stopped first."""
    while not web.started:
        if serving.done():
            raise OSError(f"the web server stopped while starting: {serving.exception()}")
        await asyncio.sleep(0.01)
