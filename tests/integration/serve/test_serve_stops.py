"""Stops are bounded: SIGTERM ends `fasit serve` cleanly, run after run, with fake agents busy
and a dashboard's event stream open (issue 19.8: one stop in four used to hang for 10 s).

Fifty stops run in-process (`fasit serve`'s own signal handling and stop bound around a
Controller), which keeps them fast; a few more stop real processes, in one directory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import urllib.request
from pathlib import Path

import pytest

from fasit.cli._serve import _run
from fasit.serve import Controller, ServeConfig
from fasit.web.live import EVENTS_PATH
from tests.integration.processes import LOOPBACK, free_port
from tests.integration.serve.support import EXAMPLE_SECRETS, copy_example, serve

STOPS = 50
PROCESS_STOPS = 3


async def dashboard_client(
    port: int, wait_for_change: bool
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """An open event stream, as a dashboard page holds it; returns once it was greeted (and,
    if asked, once it heard of a change: the fleet is busy then)."""
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    writer.write(f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: fasit\r\n\r\n".encode())
    await writer.drain()
    await reader.readuntil(b"event: hello")
    if wait_for_change:
        await reader.readuntil(b"event: change")
    return reader, writer


async def served_and_stopped(config: ServeConfig, wait_for_change: bool) -> bytes:
    """Serve, open an event stream, SIGTERM; what the stream got after that."""
    controller = Controller(config)
    running = asyncio.create_task(_run(controller))
    await controller.ready.wait()
    reader, writer = await dashboard_client(config.http_port, wait_for_change)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        await running
        return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


async def test_sigterm_stops_serve_every_time_with_a_dashboard_listening(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = copy_example(tmp_path)
    caplog.set_level(logging.ERROR)
    for stop in range(STOPS):
        config = ServeConfig(
            status_db=tmp_path / "status.db",
            state_dir=state,
            secrets_dir=EXAMPLE_SECRETS,
            fake_agents=True,
            http_port=free_port(),
            grpc_port=free_port(),
        )

        rest = await served_and_stopped(config, wait_for_change=stop % 2 == 1)

        assert "did not stop" not in caplog.text, f"stop {stop + 1} of {STOPS}"
        assert rest.endswith(b"0\r\n\r\n"), f"stop {stop + 1}: the stream ended cleanly"


def test_sigterm_stops_a_serve_process_with_a_dashboard_listening(tmp_path: Path) -> None:
    state = copy_example(tmp_path)
    for stop in range(PROCESS_STOPS):
        running = serve(
            tmp_path,
            *("--state-dir", str(state), "--secrets-dir", str(EXAMPLE_SECRETS), "--fake-agents"),
        )
        url = f"http://{LOOPBACK}:{running.http}{EVENTS_PATH}"
        with urllib.request.urlopen(url, timeout=30) as stream:
            assert b"event: hello" in stream.readline() + stream.readline()
            running.stop()
            stream.read()  # the stream ended: the stop closed it

        log = running.log.read_text()
        assert running.process.returncode == 0, f"stop {stop + 1}: {log[-2000:]}"
        assert "did not stop" not in log
