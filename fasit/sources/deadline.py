"""One overall deadline for a blocking network operation, and a way to walk away from it.

Socket timeouts bound one read, not an operation: a peer can drip bytes, a library can retry a
timed-out read, and dulwich's git:// client sets no timeout at all. So an operation runs on a
daemon thread of its own and its caller waits at most the deadline for it. When the deadline
passes, or its owner closes, the caller gets `DeadlinePassed` at once and the operation is
abandoned: sockets it registered with `watch` are shut down so it ends soon after, and being a
daemon thread it never holds the process open at exit.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from fasit.errors import RetryableError

__all__ = ["DeadlinePassed", "Deadlines", "watch"]

T = TypeVar("T")
_current = threading.local()


class DeadlinePassed(RetryableError):
    """The operation did not end in time, or its owner closed while it ran."""

    def __init__(self, seconds: float, *, closing: bool) -> None:
        self.seconds = seconds
        self.closing = closing
        super().__init__(
            "abandoned: the source is closing" if closing else f"no answer within {seconds:g} s"
        )


def watch(fileno: int, close: Callable[[], None] | None = None) -> None:
    """Shut down the socket `fileno` if the operation running on this thread is abandoned.

    A shutdown, unlike a close, wakes a thread blocked reading the socket. `close`, if given,
    is called on the operation's thread when it ends, however it ends: a library that leaves
    its connection to the collector on an error (dulwich does) must not leak it. Outside an
    operation run by `Deadlines` this does nothing.
    """
    operation: _Operation[Any] | None = getattr(_current, "operation", None)
    if operation is not None:
        operation.watch(fileno, close)


class Deadlines:
    """Runs blocking operations, each within `seconds`; `close` abandons all still running."""

    def __init__(self, seconds: float, name: str) -> None:
        self.seconds = seconds
        self._name = name
        self._lock = threading.Lock()
        self._live: set[_Operation[Any]] = set()
        """Operations whose thread has not ended, whether their caller still waits or not."""
        self._closed = False

    def run(self, operation: Callable[[], T]) -> T:
        """The operation's result or exception; `DeadlinePassed` if it has not ended in time."""
        running: _Operation[T] = _Operation(operation, self._ended)
        with self._lock:
            if self._closed:
                raise DeadlinePassed(self.seconds, closing=True)
            self._live.add(running)
        threading.Thread(target=running.work, name=self._name, daemon=True).start()
        if not running.wait(self.seconds):
            running.abandon()
            raise DeadlinePassed(self.seconds, closing=self._closed)
        return running.result()

    def close(self, wait: float) -> bool:
        """Abandon every operation still running (their callers return at once), then wait
        up to `wait` seconds for their threads to end; whether they all did."""
        with self._lock:
            self._closed = True
            live = list(self._live)
        for operation in live:
            operation.abandon()
        until = time.monotonic() + wait
        return all(operation.ended(until - time.monotonic()) for operation in live)

    def _ended(self, operation: _Operation[Any]) -> None:
        with self._lock:
            self._live.discard(operation)


class _Operation(Generic[T]):
    """One operation's thread-side state: its outcome and the sockets to shut down."""

    def __init__(self, operation: Callable[[], T], on_end: Callable[[_Operation[T]], None]) -> None:
        self._operation = operation
        self._on_end = on_end
        self._ended = threading.Event()
        self._woken = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._closers: list[Callable[[], None]] = []
        self._abandoned = False
        self._value: T | None = None
        self._error: BaseException | None = None

    def work(self) -> None:
        _current.operation = self
        try:
            self._value = self._operation()
        except BaseException as exc:  # handed to the caller, who decides
            self._error = exc
        finally:
            _current.operation = None
            self._release()
            self._on_end(self)
            self._ended.set()
            self._woken.set()

    def wait(self, seconds: float) -> bool:
        """Whether the operation ended within `seconds` (False early if woken by a close)."""
        self._woken.wait(seconds)
        return self._ended.is_set()

    def ended(self, within: float) -> bool:
        return self._ended.wait(max(within, 0))

    def result(self) -> T:
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def watch(self, fileno: int, close: Callable[[], None] | None) -> None:
        if close is not None:
            self._closers.append(close)  # only this operation's thread appends or reads them
        # A duplicate of the descriptor: the operation may close its own while this one is
        # still held, and a shutdown through either reaches the same connection.
        duplicate = socket.socket(fileno=os.dup(fileno))
        with self._lock:
            if not self._abandoned:
                self._sockets.append(duplicate)
                return
        _shut(duplicate)

    def abandon(self) -> None:
        """Shut its sockets down so that it ends soon, and release its caller now."""
        with self._lock:
            self._abandoned = True
            sockets, self._sockets = self._sockets, []
        for connection in sockets:
            _shut(connection)
        self._woken.set()

    def _release(self) -> None:
        for close in self._closers:
            with contextlib.suppress(OSError):
                close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for connection in sockets:
            connection.close()


def _shut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()
