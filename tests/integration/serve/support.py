"""`fasit serve` as a process on loopback ports, and what its API says."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.integration.processes import LOOPBACK, free_port

DEADLINE = 30.0


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    http: int
    grpc: int
    log: Path

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{self.http}{path}", timeout=5) as r:
                body = r.read().decode()
                return r.status, json.loads(body) if "json" in r.headers["content-type"] else body
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def releases(self) -> dict[tuple[str, str], dict[str, Any]]:
        _, body = self.get("/api/v1/releases?limit=5000")
        return {(item["environment"], item["feature"]): item for item in body["items"]}

    def until(self, condition: Any, what: str, timeout: float = DEADLINE) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if condition():
                    return
            except (OSError, urllib.error.URLError):
                pass
            if self.process.poll() is not None:
                raise AssertionError(f"fasit serve exited: {self.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def stop(self) -> float:
        """SIGTERM; the seconds it took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=20)
        return time.monotonic() - started


def serve(tmp_path: Path, *args: str, environ: dict[str, str] | None = None) -> Served:
    http, grpc = free_port(), free_port()
    log = tmp_path / "serve.log"
    command = [
        sys.executable,
        "-m",
        "fasit",
        "serve",
        "--http-addr",
        f"{LOOPBACK}:{http}",
        "--grpc-addr",
        f"{LOOPBACK}:{grpc}",
        "--status-db",
        str(tmp_path / "status" / "status.db"),
        *args,
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **(environ or {})}
        )
    served = Served(process, http, grpc, log)
    served.until(lambda: served.get("/readyz")[0] == 200, "readyz")
    return served
