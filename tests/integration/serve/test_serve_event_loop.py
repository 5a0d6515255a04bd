"""`fasit serve` keeps answering while a git fetch is stalled: nothing blocking runs on its loop.

A fetch holds the git cache's lock for as long as the remote takes; packaging an in-repo chart
uses the files read when its revision was planned, so it waits for no fetch. The remote here is
a real `git daemon` behind a proxy that, once armed, forwards ref lookups but holds every fetch
(its wants go nowhere, nothing comes back); an agent connecting meanwhile makes the reconciler
package the in-repo chart. The token file, reloaded when an agent presents a token, is also
made a pipe nobody writes. The event loop's lag is exported as a histogram.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import signal
import socket
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fasit.agents import hash_token, write_token_file
from tests import states
from tests.helpers import write_tree
from tests.integration.git_servers import GitDaemon, GitWork
from tests.integration.processes import LOOPBACK
from tests.integration.serve.support import Served, naisd, serve

SECRET = "hook-secret"
TOKEN = "token-of-nav-dev"
ENDED_WITHIN = 60.0
"""Tells "happened" from "hangs"; measures nothing."""


class FetchStallingProxy:
    """A TCP proxy to a git daemon; once `armed`, a connection that sends wants is held."""

    def __init__(self, upstream: int) -> None:
        self._upstream = upstream
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port: int = self._listener.getsockname()[1]
        self.armed = threading.Event()
        self.stalled = threading.Event()
        """Set when a fetch is held."""
        self._sockets: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, name: str) -> str:
        return f"git://{LOOPBACK}:{self.port}/{name}"

    def close(self) -> None:
        """Stop listening and cut every connection (a held fetch then fails at once)."""
        self.closed = True
        self._listener.close()
        for connection in self._sockets:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((LOOPBACK, self._upstream))
            self._sockets += [client, upstream]
            held = threading.Event()
            threading.Thread(
                target=self._pump, args=(client, upstream, held, True), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, held, False), daemon=True
            ).start()

    def _pump(
        self, source: socket.socket, sink: socket.socket, held: threading.Event, asks: bool
    ) -> None:
        try:
            while data := source.recv(65536):
                if asks and self.armed.is_set() and b"want " in data:
                    held.set()
                    self.stalled.set()
                if not held.is_set():
                    sink.sendall(data)
        except OSError:
            return


@pytest.fixture
def proxy(git_daemon: GitDaemon) -> Iterator[FetchStallingProxy]:
    running = FetchStallingProxy(git_daemon.port)
    yield running
    running.close()


def push(work: GitWork, message: str, *, redeploy: str = "") -> None:
    files = states.state(
        states.environment("nav", "dev"),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.assignment("web", "1.0.0", {}, redeploy=redeploy or None, file="assign/web.yaml"),
    )
    for path, text in files.items():
        work.write(path, text)
    work.commit(message)
    work.push()


def hook(served: Served) -> None:
    body = b"{}"
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        f"http://{LOOPBACK}:{served.http}/api/v1/hooks/git",
        data=body,
        headers={"X-Hub-Signature-256": signature},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 202


@contextmanager
def deploying_during_a_stalled_fetch(
    tmp_path: Path, work: GitWork, proxy: FetchStallingProxy
) -> Iterator[Served]:
    """`fasit serve --git` through `proxy`, its next fetch held, and the reconciler packaging
    the in-repo chart of web for an agent that connected meanwhile."""
    push(work, "web 1.0.0")
    tokens = tmp_path / "agent-tokens.yaml"
    write_token_file(tokens, {"nav/dev": TOKEN})
    served = serve(
        tmp_path,
        "--git",
        proxy.url("repo.git"),
        "--poll-interval",
        "3600",
        "--git-timeout",
        "600",
        "--agent-tokens",
        str(tokens),
        environ={"FASIT_WEBHOOK_SECRET": SECRET},
    )
    agent = None
    try:
        push(work, "web again", redeploy="once more")
        proxy.armed.set()
        hook(served)
        assert proxy.stalled.wait(ENDED_WITHIN), "fasit serve never fetched the new commit"
        # An agent now: the reconciler sends web, packaging the in-repo chart from the cache.
        agent = naisd(tmp_path, served, "nav/dev", TOKEN, "--executor", "fake")
        served.until(lambda: "decision deploy" in served.log.read_text(), "a deploy decided")
        yield served
    finally:
        if agent is not None:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=15)
        if served.process.poll() is None:
            served.process.kill()  # a blocked loop never takes SIGTERM
            served.process.wait()


def test_healthz_and_the_dashboard_answer_while_a_fetch_is_stalled(
    tmp_path: Path, git_work: GitWork, proxy: FetchStallingProxy
) -> None:
    with deploying_during_a_stalled_fetch(tmp_path, git_work, proxy) as served:
        assert served.get("/healthz") == (200, "ok\n")
        assert served.get("/")[0] == 200


def test_the_chart_is_deployed_while_the_fetch_is_still_stalled(
    tmp_path: Path, git_work: GitWork, proxy: FetchStallingProxy
) -> None:
    with deploying_during_a_stalled_fetch(tmp_path, git_work, proxy) as served:
        # The chart was read while its revision was planned: packaging it waits for no fetch.
        served.until(lambda: served.status("nav/dev", "web") == "DEPLOYED", "web deployed")

        assert not proxy.closed


def test_the_chart_is_deployed_once_the_stalled_fetch_ends(
    tmp_path: Path, git_work: GitWork, proxy: FetchStallingProxy
) -> None:
    with deploying_during_a_stalled_fetch(tmp_path, git_work, proxy) as served:
        proxy.close()  # the fetch fails, letting go of the cache

        served.until(lambda: served.status("nav/dev", "web") == "DEPLOYED", "web deployed")
        served.stop()
        assert served.process.returncode == 0


def _lag_count(served: Served) -> float:
    _, text = served.get("/metrics")
    for line in text.splitlines():
        if line.startswith("fasit_event_loop_lag_seconds_count "):
            return float(line.split()[1])
    raise AssertionError("no fasit_event_loop_lag_seconds_count in /metrics")


def test_serve_exports_the_event_loop_lag_as_a_histogram_that_grows(tmp_path: Path) -> None:
    state = write_tree(tmp_path / "state", states.state(states.environment("nav", "dev")))
    served = serve(tmp_path, "--state-dir", str(state), "--fake-agents")
    try:
        first = _lag_count(served)
        served.until(lambda: _lag_count(served) > first, "a later lag sample")

        _, text = served.get("/metrics")
        assert "# TYPE fasit_event_loop_lag_seconds histogram" in text
        assert 'fasit_event_loop_lag_seconds_bucket{le="0.1"}' in text
    finally:
        served.stop()


def test_healthz_answers_while_the_token_file_does_not(tmp_path: Path) -> None:
    state = write_tree(tmp_path / "state", states.state(states.environment("nav", "dev")))
    tokens = tmp_path / "agent-tokens.yaml"
    write_token_file(tokens, {"nav/dev": TOKEN})
    served = serve(tmp_path, "--state-dir", str(state), "--agent-tokens", str(tokens))
    fifo = tmp_path / "tokens.fifo"
    os.mkfifo(fifo)
    os.replace(fifo, tokens)  # a reload now reads a pipe: nothing comes until it is written
    download = threading.Thread(target=_fetch_archive, args=(served,), daemon=True)
    writers: list[int] = []
    try:
        download.start()  # an agent's download reloads the changed token file
        served.until(lambda: _reader_waiting(tokens, writers), "a reload reading the file")

        assert served.get("/healthz") == (200, "ok\n")
    finally:
        writer = writers[0] if writers else os.open(tokens, os.O_RDWR)
        os.write(writer, f'nav/dev: "{hash_token(TOKEN)}"\n'.encode())
        os.close(writer)  # the reload reads to the end and goes on
        download.join(ENDED_WITHIN)
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()


def _reader_waiting(fifo: Path, writers: list[int]) -> bool:
    """Whether someone has `fifo` open to read; if so, its write end is added to `writers`."""
    try:
        writers.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:  # ENXIO: no reader yet
        return False
    return True


def _fetch_archive(served: Served) -> None:
    request = urllib.request.Request(
        f"http://{LOOPBACK}:{served.http}/charts/sha256:{'0' * 64}.tgz",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    with contextlib.suppress(OSError):
        urllib.request.urlopen(request, timeout=ENDED_WITHIN).close()
