"""`fasit serve` as a process on loopback ports, and what its API says."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from subprocess import Popen
from typing import Any

from tests.integration.processes import LOOPBACK, free_port

DEADLINE = 30.0


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    http: int
    grpc: int
    log: Path
    tls: ssl.SSLContext | None = None
    """Trusts the listener's certificate, when it serves HTTPS."""

    @property
    def base(self) -> str:
        return f"{'https' if self.tls else 'http'}://{LOOPBACK}:{self.http}"

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5, context=self.tls) as r:
                body = r.read().decode()
                return r.status, json.loads(body) if "json" in r.headers["content-type"] else body
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def releases(self) -> dict[tuple[str, str], dict[str, Any]]:
        _, body = self.get("/api/v1/releases?limit=5000")
        return {(item["environment"], item["feature"]): item for item in body["items"]}

    def status(self, environment: str, feature: str) -> str | None:
        """The release's status; None while it is not planned yet."""
        item = self.releases().get((environment, feature))
        return None if item is None else str(item["status"])

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


def serve(
    tmp_path: Path,
    *args: str,
    environ: dict[str, str] | None = None,
    ports: tuple[int, int] | None = None,
    ready: str = "/readyz",
    open_files: tuple[int, int] | None = None,
    tls: ssl.SSLContext | None = None,
) -> Served:
    """`fasit serve` on `ports` (http, grpc; default: free ones), once `ready` answers 200;
    `open_files`: its (soft, hard) limit of open files, as a shell's `ulimit -n` sets them;
    `tls`: a context that trusts its certificate, when `args` make it serve HTTPS."""
    http, grpc = ports or (free_port(), free_port())
    log = tmp_path / f"serve-{http}-{time.monotonic_ns()}.log"
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
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(environ or {})},
            preexec_fn=None if open_files is None else partial(_limit_files, open_files),
        )
    served = Served(process, http, grpc, log, tls)
    served.until(lambda: served.get(ready)[0] == 200, ready)
    return served


def _limit_files(limits: tuple[int, int]) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, limits)


def naisd(
    tmp_path: Path,
    served: Served,
    environment: str,
    token: str,
    *args: str,
    environ: dict[str, str] | None = None,
    controller: str | None = None,
) -> Popen:
    """A naisd process for `environment` (`args` choose the executor), its state kept in
    `tmp_path`; it dials `served`, or `controller` (addresses, comma-separated) when given."""
    home = tmp_path / "naisd" / environment.replace("/", "-")
    home.mkdir(parents=True, exist_ok=True)
    (home / "token").write_text(token + "\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "naisd",
        "--controller",
        controller or f"{LOOPBACK}:{served.grpc}",
        "--environment",
        environment,
        "--token-file",
        str(home / "token"),
        "--state-dir",
        str(home),
        *args,
    ]
    with (home / "naisd.log").open("ab") as log:  # the child keeps its own copy of the fd
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environ)


def results_of(tmp_path: Path, environment: str) -> dict[str, Any]:
    """What naisd's state file says it ran, by instruction id."""
    home = tmp_path / "naisd" / environment.replace("/", "-")
    state = json.loads((home / "naisd-state.json").read_text(encoding="utf-8"))
    return {result["instruction_id"]: result for result in state["results"]}


EXAMPLE_STATE = Path(__file__).parents[3] / "example-state-repo"
EXAMPLE_SECRETS = Path(__file__).parents[3] / "example-secrets"
MOVING = frozenset({"SENT", "INSTALLING", "UNINSTALLING", "OFFLINE", "PENDING"})


def copy_example(tmp_path: Path) -> Path:
    """A copy of example-state-repo/ to serve (and edit)."""
    state = tmp_path / "state"
    shutil.copytree(EXAMPLE_STATE, state)
    return state


def serve_state(
    tmp_path: Path, state: Path, environ: dict[str, str] | None = None, *extra: str
) -> Served:
    """`fasit serve` with fake agents over `state` and the example secrets (and `extra`
    arguments); returns once every release settled (stopped again if it does not)."""
    running = serve(
        tmp_path,
        "--state-dir",
        str(state),
        "--secrets-dir",
        str(EXAMPLE_SECRETS),
        "--fake-agents",
        *extra,
        environ=environ,
    )
    try:
        running.until(lambda: settled(running), "the fleet to settle")
    except BaseException:
        running.stop()
        raise
    return running


def serve_example(tmp_path: Path, environ: dict[str, str] | None = None) -> tuple[Served, Path]:
    """`serve_state` over a fresh copy of example-state-repo/; returns it and the copy."""
    state = copy_example(tmp_path)
    return serve_state(tmp_path, state, environ), state


def settled(served: Served) -> bool:
    """Every release reached where it stays until something changes (a release waiting for a
    dependency that failed stays PENDING)."""
    releases = served.releases().values()
    return bool(releases) and not any(
        item["status"] in MOVING and item["reason"] != "waiting-dependency" for item in releases
    )


def example_secrets() -> list[str]:
    """Every secret value the example serves with."""
    return [
        path.read_text(encoding="utf-8").strip()
        for path in EXAMPLE_SECRETS.iterdir()
        if path.name != "README.md"
    ]
