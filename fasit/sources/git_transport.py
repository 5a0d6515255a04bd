"""How fasit talks to a git remote: dulwich's clients, configured, and bound by a deadline.

The clients are dulwich's own; what fasit adds is that every connection an operation opens is
watched (`deadline.watch`), so an abandoned operation's socket is shut down and its thread
ends instead of waiting on a silent peer, and that a timed-out HTTP read is not retried.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import IO, Any
from urllib.parse import urlparse

import urllib3
from dulwich.client import (
    GitClient,
    TCPGitClient,
    default_urllib3_manager,
    get_transport_and_path,
)
from dulwich.config import ConfigDict
from dulwich.protocol import Protocol
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from fasit.sources.deadline import watch
from fasit.sources.git_location import GitAuth

__all__ = ["Transport"]


class Transport:
    """The dulwich client for one remote URL and the HTTP connections it shares."""

    def __init__(self, url: str, auth: GitAuth, timeout: float) -> None:
        self._url = url
        self._auth = auth
        self._timeout = timeout
        self._config = _http_config(auth, timeout)
        pool = default_urllib3_manager(self._config, base_url=url)
        assert isinstance(pool, urllib3.PoolManager)  # no auth callbacks: never the wrapper
        pool.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
        # A timed-out read is not retried: the caller's deadline has passed by then.
        pool.connection_pool_kw["retries"] = urllib3.Retry(connect=1, read=0, redirect=5)
        self._pool = pool
        self._client: tuple[GitClient, str] | None = None

    def client(self) -> tuple[GitClient, str]:
        """The client and the repository's path on the remote, made on first use."""
        if self._client is None:
            client, path = get_transport_and_path(
                self._url,
                config=self._config,
                pool_manager=self._pool,
                username=self._auth.username or None,
                password=self._auth.password or None,
                ssh_command=_ssh_command(self._auth, self._timeout),
            )
            if isinstance(client, TCPGitClient):
                client = _WatchedTCPGitClient.from_parsedurl(urlparse(self._url))
            self._client = client, path
        return self._client

    def close(self) -> None:
        self._pool.clear()


class _WatchedTCPGitClient(TCPGitClient):
    """dulwich's git:// client, its connections shut down when their operation is abandoned.

    dulwich sets no timeout on a git:// socket, so a silent daemon would hold the reading
    thread for ever; watching the socket lets the deadline end it.
    """

    def _connect(
        self, cmd: bytes, path: str | bytes, protocol_version: int | None = None
    ) -> tuple[Protocol, Callable[[], bool], IO[bytes] | None]:
        connected = super()._connect(cmd, path, protocol_version)
        # The protocol reads through a buffered file over the socket; its descriptor is the
        # socket's.
        protocol = connected[0]
        reader = getattr(protocol.read, "__self__", None)
        if reader is not None and hasattr(reader, "fileno"):
            watch(reader.fileno(), protocol.close)
        return connected


class _WatchedHTTPConnection(HTTPConnection):
    """An HTTP connection watched by the operation that sends a request over it.

    Connections are kept alive and reused across operations, so the watch is per response
    awaited, not per connect.
    """

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        if self.sock is not None:
            watch(self.sock.fileno())
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    """`_WatchedHTTPConnection` over TLS."""


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def _http_config(auth: GitAuth, timeout: float) -> ConfigDict:
    config = ConfigDict()
    config.set((b"http",), b"timeout", f"{timeout:g}".encode())
    if auth.bearer_token:
        header = f"Authorization: Bearer {auth.bearer_token}"
        config.set((b"http",), b"extraHeader", header.encode())
    if auth.ca_bundle is not None:
        config.set((b"http",), b"sslCAInfo", str(auth.ca_bundle).encode())
    if auth.insecure_skip_tls_verify:
        config.set((b"http",), b"sslVerify", False)
    return config


def _ssh_command(auth: GitAuth, timeout: float) -> str:
    """The system ssh, told never to prompt and to trust only the host keys given."""
    args = [
        "ssh",
        "-o",
        "BatchMode=yes",
        "-o",
        f"ConnectTimeout={max(1, round(timeout))}",
        "-o",
        "ServerAliveInterval=15",
        "-o",
        "StrictHostKeyChecking=yes",
    ]
    if auth.ssh_key_file is not None:
        args += ["-i", str(auth.ssh_key_file), "-o", "IdentitiesOnly=yes"]
    if auth.known_hosts_file is not None:
        args += ["-o", f"UserKnownHostsFile={auth.known_hosts_file}"]
    return shlex.join(args)
