"""A GitHub statuses endpoint on 127.0.0.1 that records every call and answers from a script.

`POST /repos/{owner}/{repo}/statuses/{sha}` takes GitHub's JSON body and answers 201, unless
the script says otherwise for the next calls (a 502, a 429 with `Retry-After`, …). Every call
is recorded with its path, headers and body, so tests assert what GitHub would have seen.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.integration.processes import Server

_STATUSES = re.compile(r"^/repos/[^/]+/[^/]+/statuses/[0-9a-f]{4,64}$")


@dataclass(frozen=True)
class Call:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    answered: int


class StatusesServer(Server):
    """Start with `with`; `url` is the API root; `script(…)` queues answers; `calls` holds
    what was asked."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._answers: deque[tuple[int, dict[str, str]]] = deque()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status, headers = server._next(self.path)
                server._record(Call(self.path, dict(self.headers), body, status))
                data = json.dumps({"state": body.get("state")} if status < 300 else {}).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/api/v3"
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def script(self, *answers: tuple[int, dict[str, str]]) -> None:
        """Answer the next calls with these (status, headers), then 201 again."""
        with self._lock:
            self._answers.extend(answers)

    def _next(self, path: str) -> tuple[int, dict[str, str]]:
        with self._lock:
            if not _STATUSES.match(path.removeprefix("/api/v3")):
                return 404, {}
            return self._answers.popleft() if self._answers else (201, {})

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def states(self) -> list[str]:
        with self._lock:
            return [call.body["state"] for call in self.calls if call.answered < 300]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
