"""Clients that hold connections open cannot take the web server: slow headers time out,
connections are capped below the open-file limit, and failed accepts do not flood the log."""

from __future__ import annotations

import resource
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.integration.processes import LOOPBACK
from tests.integration.serve.support import Served, serve

# A request line and one header, never finished.
HALF_A_REQUEST = b"GET /api/v1/overview HTTP/1.1\r\nHost: fasit\r\n"
# Only tells "closed" from "held open": far above the header timeout the tests set.
CLOSED_WITHIN = 60.0
ACCEPT_FAILED = "socket.accept() out of system resource"


@contextmanager
def served(
    tmp_path: Path, *args: str, open_files: tuple[int, int] | None = None
) -> Iterator[Served]:
    running = serve(tmp_path, "--fake-agents", *args, open_files=open_files)
    try:
        yield running
    finally:
        running.stop()


def slow_client(served: Served, stack: ExitStack) -> socket.socket:
    client = stack.enter_context(socket.create_connection((LOOPBACK, served.http), timeout=10))
    client.sendall(HALF_A_REQUEST)
    return client


def test_a_client_that_does_not_finish_its_headers_in_time_is_closed(tmp_path: Path) -> None:
    with served(tmp_path, "--http-header-timeout", "1") as running, ExitStack() as stack:
        client = slow_client(running, stack)
        client.settimeout(CLOSED_WITHIN)

        assert client.recv(1024) == b""


def test_a_client_that_trickles_its_headers_is_closed_all_the_same(tmp_path: Path) -> None:
    with served(tmp_path, "--http-header-timeout", "1") as running, ExitStack() as stack:
        client = slow_client(running, stack)
        client.settimeout(0.3)
        answered = b""
        for _ in range(int(CLOSED_WITHIN / 0.3)):
            try:
                answered = client.recv(1024)
                break
            except TimeoutError:
                client.sendall(b"X")  # a byte of a header now and then
        assert answered == b""


@pytest.mark.skipif(
    resource.getrlimit(resource.RLIMIT_NOFILE)[1] < 4096, reason="needs a hard file limit ≥ 4096"
)
def test_healthz_answers_while_more_slow_clients_than_the_soft_file_limit_hold_on(
    tmp_path: Path,
) -> None:
    with (
        served(tmp_path, "--http-header-timeout", "600", open_files=(1024, 4096)) as running,
        ExitStack() as stack,
    ):
        for _ in range(1100):
            slow_client(running, stack)

        assert running.get("/healthz")[0] == 200

    assert ACCEPT_FAILED not in running.log.read_text()


def test_a_client_over_the_connection_cap_is_answered_503_and_the_server_keeps_its_files(
    tmp_path: Path,
) -> None:
    with (
        served(tmp_path, "--http-header-timeout", "600", open_files=(256, 256)) as running,
        ExitStack() as stack,
    ):
        clients = [slow_client(running, stack) for _ in range(200)]  # the cap is 128
        last = clients[-1]
        last.settimeout(CLOSED_WITHIN)

        assert last.recv(1024).startswith(b"HTTP/1.1 503 Service Unavailable")

    assert ACCEPT_FAILED not in running.log.read_text()
