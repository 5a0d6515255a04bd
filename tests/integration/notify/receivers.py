"""Webhook receivers on 127.0.0.1: real HTTP servers that answer as a test tells them.

A `Receiver` runs `http.server` in a thread; each request is recorded (path, headers, body,
and whether the X-Fasit-Signature-256 checked out under `secret`) and answered with the next
planned answer, the last one repeating. `hold()` makes it slow: it reads the request and waits
before answering until `release()` (or its own 30 s bound).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOLD_BOUND = 30.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool
    """The signature header is the HMAC-SHA256 of the body under the receiver's secret."""


class Receiver:
    def __init__(self, secret: bytes = b"") -> None:
        self.secret = secret
        self.received: list[Received] = []
        self._answers: list[tuple[int, dict[str, str]]] = [(200, {})]
        self._released = threading.Event()
        self._released.set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signature = self.headers.get("X-Fasit-Signature-256", "")
                expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
                with receiver._lock:
                    receiver.received.append(
                        Received(
                            self.path,
                            dict(self.headers.items()),
                            body,
                            hmac.compare_digest(signature, expected),
                        )
                    )
                    status, headers = receiver._answers[0]
                    if len(receiver._answers) > 1:
                        receiver._answers.pop(0)
                receiver._released.wait(HOLD_BOUND)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the client gave up waiting: nobody reads the answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/fasit"

    def answer(self, *answers: int | tuple[int, dict[str, str]]) -> None:
        """Answer the next requests so, in order; the last answer repeats."""
        self._answers = [a if isinstance(a, tuple) else (a, {}) for a in answers]

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.received)

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.release()
            self._server.shutdown()
            self._server.server_close()
            thread.join(10.0)


@contextmanager
def receiving(secret: bytes = b"") -> Iterator[Receiver]:
    with Receiver(secret).running() as receiver:
        yield receiver
