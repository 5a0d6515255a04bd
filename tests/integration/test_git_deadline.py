"""Every git network operation ends by one deadline, whatever the peer does.

A peer that accepts the connection and then never answers is the case no socket option
covers on every transport (dulwich's git:// client sets no timeout at all, and urllib3
retries a read timeout). The peer here is a plain TCP listener on loopback that reads what it
is sent and never writes a byte.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fasit.errors import SourceUnavailable
from fasit.sources import GitLocation, GitRemote, GitSource, GitSourceConfig, RemoteCause
from fasit.state import SnapshotBuilder, SnapshotStore
from tests.integration.processes import LOOPBACK
from tests.integration.serve.support import serve
from tests.integration.waiting import eventually

# Well above the git deadline the tests set, well below the pytest timeout: the bound only
# tells "ended" from "hangs", it measures nothing.
ENDED_WITHIN = 60.0


class SilentPeer:
    """Accepts connections on loopback, reads everything, answers nothing."""

    def __init__(self) -> None:
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port: int = self._listener.getsockname()[1]
        self.connected = threading.Event()
        self.hung_up = threading.Event()
        """Set when a client closed (or shut down) its side of a connection."""
        self._connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, scheme: str) -> str:
        return f"{scheme}://{LOOPBACK}:{self.port}/repo.git"

    def close(self) -> None:
        self._listener.close()
        for connection in self._connections:
            connection.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)
            self.connected.set()
            threading.Thread(target=self._drain, args=(connection,), daemon=True).start()

    def _drain(self, connection: socket.socket) -> None:
        try:
            while connection.recv(65536):
                pass
        except OSError:
            return
        self.hung_up.set()


@pytest.fixture
def silent_peer() -> Iterator[SilentPeer]:
    peer = SilentPeer()
    yield peer
    peer.close()


@pytest.mark.parametrize("scheme", ["git", "http"])
def test_a_silent_remote_is_a_timeout_at_the_deadline(
    scheme: str, silent_peer: SilentPeer, tmp_path: Path
) -> None:
    remote = GitRemote(GitLocation(silent_peer.url(scheme)), tmp_path / "cache.git", timeout=1)

    with pytest.raises(SourceUnavailable) as raised:
        remote.resolve()

    assert raised.value.cause == RemoteCause.TIMEOUT
    assert str(raised.value) == f"{silent_peer.url(scheme)}: no answer within 1 s"
    remote.close()


def test_the_connection_to_a_silent_git_daemon_is_closed_at_the_deadline(
    silent_peer: SilentPeer, tmp_path: Path
) -> None:
    remote = GitRemote(GitLocation(silent_peer.url("git")), tmp_path / "cache.git", timeout=1)

    with pytest.raises(SourceUnavailable):
        remote.resolve()

    assert silent_peer.hung_up.wait(ENDED_WITHIN), "the abandoned connection is still open"
    remote.close()


def test_a_fetch_from_a_silent_remote_is_a_timeout_at_the_deadline(
    silent_peer: SilentPeer, tmp_path: Path
) -> None:
    pinned = GitLocation(silent_peer.url("git"), "a" * 40)  # no ref lookup: straight to fetch
    remote = GitRemote(pinned, tmp_path / "cache.git", timeout=1)

    with pytest.raises(SourceUnavailable) as raised:
        remote.fetch("a" * 40)

    assert raised.value.cause == RemoteCause.TIMEOUT
    remote.close()


async def test_a_silent_remote_makes_the_store_stale_with_the_reason(
    silent_peer: SilentPeer, tmp_path: Path
) -> None:
    store = SnapshotStore()
    config = GitSourceConfig(GitLocation(silent_peer.url("git")), tmp_path / "cache.git", timeout=1)
    polling = asyncio.create_task(GitSource(config, SnapshotBuilder(), store).run())

    await eventually(lambda: store.freshness.stale, "the store to report stale")

    assert store.freshness.reason == f"{silent_peer.url('git')}: no answer within 1 s (timeout)"
    polling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await polling


def test_serve_exits_on_sigterm_while_a_poll_waits_on_a_silent_remote(
    silent_peer: SilentPeer, tmp_path: Path
) -> None:
    served = serve(
        tmp_path,
        "--git",
        silent_peer.url("git"),
        "--git-timeout",
        "600",
        "--fake-agents",
        ready="/healthz",
    )
    try:
        assert silent_peer.connected.wait(ENDED_WITHIN), "fasit serve never asked the remote"

        served.process.send_signal(signal.SIGTERM)

        assert served.process.wait(timeout=ENDED_WITHIN) == 0
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()
