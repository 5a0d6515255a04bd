"""Server processes on 127.0.0.1 for integration tests: free ports, readiness, stopping.

A server runs in its own process group with stderr appended to a log; readiness is awaited by
polling its port against a deadline, never by sleeping, and a server that does not come up
fails with its stderr in the message. Used by the git servers and the OCI registry.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self

LOOPBACK: Final = "127.0.0.1"
READY_TIMEOUT: Final = 10.0
STOP_TIMEOUT: Final = 5.0
# Between port probes; a wait on the server process, so an early exit is noticed at once.
POLL_INTERVAL: Final = 0.02


class ServerFailed(RuntimeError):
    """A server could not be found, did not start listening in time, or exited early."""


def free_port() -> int:
    """A loopback port nobody listens on right now, picked by the OS (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


class PortReservation:
    """A loopback port held for a server that stops and starts again on the same one.

    A port from `free_port` is anyone's while its server is stopped: a server of a test
    running in parallel (bind to port 0) or an outgoing connection can take it, and the
    server cannot come back. A bound socket that does not listen keeps the OS from handing
    the port out and refuses connections as a stopped server does, while a server that binds
    with SO_REUSEADDR (git daemon --reuseaddr, sshd) still takes it.
    """

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((LOOPBACK, 0))
        self.port: int = self._socket.getsockname()[1]

    def release(self) -> None:
        self._socket.close()


def port_accepts(port: int) -> bool:
    """Whether something accepts TCP connections on the loopback `port`."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1.0):
            return True
    except OSError:
        return False


def wait_for_port(
    port: int, process: subprocess.Popen[bytes], log: Path, name: str, timeout: float
) -> None:
    """Return once `port` accepts; raise ServerFailed if `process` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while not port_accepts(port):
        if time.monotonic() > deadline:
            raise ServerFailed(
                f"{name} is not listening on {LOOPBACK}:{port} after {timeout:g}s;"
                f" stderr:\n{_read_log(log)}"
            )
        try:
            code = process.wait(timeout=POLL_INTERVAL)
        except subprocess.TimeoutExpired:
            continue
        raise ServerFailed(
            f"{name} exited with status {code} before listening on {LOOPBACK}:{port};"
            f" stderr:\n{_read_log(log)}"
        )


def _read_log(log: Path) -> str:
    try:
        return log.read_text(encoding="utf-8", errors="replace").strip() or "(empty)"
    except FileNotFoundError:
        return "(no log written)"


class ServerProcess:
    """One long-running server process in its own process group, stderr appended to a log.

    stop() takes down the per-connection children too (git daemon and sshd fork one per
    client), which is what "the remote went down" has to mean.
    """

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self, port: int, timeout: float) -> None:
        """Launch the process and return once `port` accepts; ServerFailed otherwise."""
        if self._process is not None:
            raise RuntimeError(f"{self.name} is already running")
        self._log_file = self.log.open("ab")
        self._process = subprocess.Popen(
            self.argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=self._log_file,
            start_new_session=True,
        )
        try:
            wait_for_port(port, self._process, self.log, self.name, timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Kill the connections being served, then end the server itself; idempotent."""
        process, self._process = self._process, None
        if process is not None:
            # sshd gives each connection a session of its own, out of reach of the group.
            for pid in _descendants(process.pid):
                _signal_process(pid, signal.SIGKILL)
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait()
            # Children that ignored SIGTERM (a connection still being served) go as well.
            _signal_group(process.pid, signal.SIGKILL)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc (Linux), nearest first."""
    found: list[int] = []
    parents = [pid]
    while parents:
        children = [child for parent in parents for child in _children(parent)]
        found += children
        parents = children
    return found


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").glob("*"))
    except OSError:  # the process ended while its tasks were listed
        return children
    for task in tasks:
        with contextlib.suppress(OSError):  # the task may have ended meanwhile
            children += [int(child) for child in (task / "children").read_text().split()]
    return children


def _signal_process(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _signal_group(group: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signum)


class Server:
    """What every server offers: start(), stop(), and `with` doing both."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class ProcessServer(Server):
    """A server that is one process listening on `port`: `git daemon`, sshd.

    A subclass that takes its port from `_reserve_port` keeps it from `with` to its end, so
    stop() then start() comes back on it whatever else runs on the machine.
    """

    port: int
    _process: ServerProcess
    _reservation: PortReservation | None = None

    def _reserve_port(self) -> int:
        self._reservation = PortReservation()
        return self._reservation.port

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            super().__exit__(exc_type, exc, traceback)
        finally:
            if self._reservation is not None:
                self._reservation.release()

    @property
    def log(self) -> Path:
        return self._process.log

    @property
    def running(self) -> bool:
        return self._process.running

    def start(self) -> None:
        self._process.start(self.port, READY_TIMEOUT)

    def stop(self) -> None:
        self._process.stop()
