"""Downloading a chart archive fasit serves (docs/charts.md), checked before helm sees it.

An instruction whose chart is an http(s) URL names an archive `fasit serve` packaged from the
state repository, and pins its sha256. The helm executor calls `download_chart` for it: the
agent's token as a bearer token, https trusting `--tls-ca` when given, a timeout on the
connect and on each read, a deadline on the whole download and a size cap, no redirects (they
would carry the token elsewhere), and the bytes' sha256 compared with the instruction's
digest. Writes nothing to disk: the executor
does, once the archive is checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import http.client
import re
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from naisd.errors import NaisdError

__all__ = ["ChartDownloadFailed", "DownloadSettings", "download_chart", "is_downloaded_chart"]

_T = TypeVar("_T")
_CHUNK = 64 * 1024
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class ChartDownloadFailed(NaisdError):
    """The archive could not be had, or is not the one the instruction pins; says which."""


@dataclass(frozen=True, slots=True)
class DownloadSettings:
    """Bounds of one chart download; the defaults are production's."""

    timeout: float = 10.0
    """Seconds for the connect, and for each read."""
    deadline: float = 120.0
    """Seconds for the whole download (a trickling server is given up on)."""
    max_bytes: int = 64 * 1024 * 1024
    """Archives larger than this are refused (fasit's charts are kilobytes)."""
    ca_file: Path | None = None
    """The CAs an https chart URL's certificate must chain to (naisd's `--tls-ca`, the same
    as for the controller's gRPC); None: the system's."""


def is_downloaded_chart(chart: str) -> bool:
    """Whether an instruction's chart is an archive naisd downloads (an http(s) URL)."""
    return chart.startswith(("http://", "https://"))


async def download_chart(
    url: str, digest: str, token: str | None, settings: DownloadSettings
) -> bytes:
    """The archive at `url`, whose sha256 is `digest`; ChartDownloadFailed otherwise."""
    if _DIGEST.fullmatch(digest) is None:
        raise ChartDownloadFailed(
            f"chart {url} comes with no sha256 digest to check it against ({digest!r}): "
            "not installed"
        )
    stop = threading.Event()
    try:
        archive = await _in_daemon_thread(lambda: _fetch(url, token, settings, stop))
    except asyncio.CancelledError:
        stop.set()  # the thread gives up at its next read
        raise
    actual = "sha256:" + hashlib.sha256(archive).hexdigest()
    if actual != digest:
        raise ChartDownloadFailed(
            f"chart {url} has digest {actual}, not the instruction's {digest}: not installed"
        )
    return archive


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """fasit never redirects; following one would send the agent's token to another address."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _fetch(url: str, token: str | None, settings: DownloadSettings, stop: threading.Event) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/gzip"})
    if token is not None:
        request.add_unredirected_header("Authorization", f"Bearer {token}")
    failed = f"cannot download chart {url}"
    try:
        tls = ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ChartDownloadFailed(f"{failed}: --tls-ca {settings.ca_file}: {_cause(exc)}") from exc
    opener = urllib.request.build_opener(_NoRedirects, urllib.request.HTTPSHandler(context=tls))
    give_up_at = time.monotonic() + settings.deadline
    try:
        with opener.open(request, timeout=settings.timeout) as response:
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > settings.max_bytes:
                raise ChartDownloadFailed(f"{failed}: larger than {settings.max_bytes} bytes")
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read(_CHUNK):
                size += len(chunk)
                if size > settings.max_bytes:
                    raise ChartDownloadFailed(f"{failed}: larger than {settings.max_bytes} bytes")
                if stop.is_set():
                    raise ChartDownloadFailed(f"{failed}: stopped")
                if time.monotonic() > give_up_at:
                    raise ChartDownloadFailed(f"{failed}: not done within {settings.deadline:g} s")
                chunks.append(chunk)
            return b"".join(chunks)
    except urllib.error.HTTPError as exc:
        raise ChartDownloadFailed(f"{failed}: HTTP {exc.code} {exc.reason}{_said(exc)}") from exc
    except urllib.error.URLError as exc:
        raise ChartDownloadFailed(f"{failed}: {_cause(exc.reason)}") from exc
    except (OSError, ValueError) as exc:  # a timeout or a cut mid-body; a malformed URL
        raise ChartDownloadFailed(f"{failed}: {_cause(exc)}") from exc
    except http.client.HTTPException as exc:  # not an OSError: urllib lets it through
        raise ChartDownloadFailed(f"{failed}: {_broken(exc)}") from exc


def _said(error: urllib.error.HTTPError) -> str:
    """The first line of the server's answer (fasit's say why), if it gave a short one."""
    try:
        first = error.read(512).decode("utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return f": {first[0]}" if first else ""


def _broken(error: http.client.HTTPException) -> str:
    """What was wrong with an answer that is not HTTP, or not HTTP as http.client reads it."""
    if isinstance(error, http.client.BadStatusLine):
        return f"the server did not answer in HTTP ({str(error.args[0]).strip()[:80]!r})"
    return f"the server's answer is not HTTP as expected: {type(error).__name__}: {error}"


def _cause(reason: object) -> str:
    """Why, in words: "Connection refused" rather than "[Errno 111] Connection refused"."""
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason)


async def _in_daemon_thread(function: Callable[[], _T]) -> _T:
    """`function()` in a daemon thread: unlike asyncio.to_thread's pool, a download stuck in a
    read cannot hold up naisd's exit (asyncio.run waits for the pool's threads)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():  # cancelled meanwhile: nobody waits for the outcome
            outcome()

    def run() -> None:
        try:
            result = function()
        except BaseException as exc:  # handed to the awaiting task, raised there
            error = exc
            _call_in_loop(loop, lambda: settle(lambda: future.set_exception(error)))
        else:
            _call_in_loop(loop, lambda: settle(lambda: future.set_result(result)))

    threading.Thread(target=run, name="naisd-chart-download", daemon=True).start()
    return await future


def _call_in_loop(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    # RuntimeError: the loop closed while the thread ran, and nobody waits any more.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback)
