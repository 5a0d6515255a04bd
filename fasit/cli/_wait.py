"""`fasit wait`: follow a revision's rollout on a `fasit serve` until it is done or failed.

Polls `GET /api/v1/revisions/{id}/progress` (docs/api.md) with the token of `--token-file`;
progress goes to stderr, the outcome to stdout (text or JSON). Exit 0: every release the
revision changed is DEPLOYED; 1: one failed, is halted or in a problem status; 2: the timeout
passed, the server cannot be reached, or the question is wrong (an ambiguous revision).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fasit.cli._common import EXIT_CLEAN, EXIT_COULD_NOT_RUN, EXIT_PROBLEMS, duration
from fasit.errors import CouldNotRun, RetryableError

__all__ = ["add_wait"]

POLL_INTERVAL = 1.0
"""Seconds between two looks at the progress."""
REQUEST_TIMEOUT = 10.0
"""Seconds one request may take (never past the overall deadline)."""
DEFAULT_TIMEOUT = "30m"


def add_wait(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "wait",
        help="wait until a revision's changes are deployed (exit 0) or failed (exit 1)",
        description="Follow the rollout of REV on a fasit server: every release the revision"
        " changed (against the revision served before it) must be DEPLOYED. Exit 0 when they"
        " are, 1 when one failed, is halted or in a problem status, 2 on timeout or when the"
        " server cannot be reached.",
    )
    parser.add_argument("--server", required=True, metavar="URL", help="the fasit serve URL")
    parser.add_argument(
        "--revision",
        metavar="REV",
        help="a full revision id or a unique prefix (default: the revision served now)",
    )
    parser.add_argument("--feature", metavar="F", help="only this feature's releases count")
    parser.add_argument(
        "--timeout",
        type=duration,
        default=DEFAULT_TIMEOUT,  # a string: argparse parses it with `duration` when not given
        metavar="DURATION",
        help=f"give up after this long: seconds, or 90s, 30m, 1h (default: {DEFAULT_TIMEOUT})",
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument(
        "--token-file",
        type=Path,
        metavar="PATH",
        help="send the token in this file as `Authorization: Bearer …`",
    )
    parser.set_defaults(command=_wait)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a wait ended: `outcome` is done, failed, timeout, unreachable or error (a question
    the server cannot answer: an ambiguous revision, a refused token)."""

    outcome: str
    revision: str | None
    progress: dict[str, Any] | None
    error: str = ""

    @property
    def exit_code(self) -> int:
        return {"done": EXIT_CLEAN, "failed": EXIT_PROBLEMS}.get(self.outcome, EXIT_COULD_NOT_RUN)


class ServerUnreachable(RetryableError):
    """The server did not answer (no connection, a timeout, a 5xx): retried until the
    deadline once it has answered before."""


class Server:
    """The fasit server's JSON API, with an optional bearer token (never shown)."""

    def __init__(self, url: str, token: str = "") -> None:
        if not url.startswith(("http://", "https://")):
            raise CouldNotRun(f"--server {url!r}: expected an http:// or https:// URL")
        import requests  # here, not at the top: the parser of every command imports this module

        self.url = url.rstrip("/")
        self._session = requests.Session()
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, timeout: float) -> tuple[int, dict[str, Any]]:
        """The status and JSON body of GET `path`; ServerUnreachable when there is no answer."""
        import requests

        try:
            response = self._session.get(self.url + path, timeout=timeout)
        except requests.Timeout:
            raise ServerUnreachable(f"{self.url} did not answer within {timeout:g}s") from None
        except requests.RequestException:
            raise ServerUnreachable(f"cannot reach {self.url}: the connection failed") from None
        if response.status_code >= 500:
            raise ServerUnreachable(f"{self.url}{path} answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code in (401, 403):
            raise CouldNotRun(
                f"{self.url} refused the request ({response.status_code}): check --token-file"
            )
        return response.status_code, body

    def close(self) -> None:
        self._session.close()


def _wait(args: argparse.Namespace) -> int:
    server = Server(args.server, _token(args.token_file))
    try:
        outcome = follow(server, args.revision, args.feature, args.timeout, _progress_line)
    except CouldNotRun as exc:  # a refused token, an ambiguous revision: asking again won't help
        outcome = Outcome("error", args.revision, None, str(exc))
    finally:
        server.close()
    _report(outcome, args.format == "json")
    return outcome.exit_code


def follow(
    server: Server,
    revision: str | None,
    feature: str | None,
    timeout: float,
    say: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Poll until the revision's rollout is done or failed, or `timeout` seconds pass.

    The first request must be answered (a wrong URL fails at once); later failures to reach
    the server are retried until the deadline (a server restarting during a long rollout).
    """
    deadline = clock() + timeout
    contacted = False
    last: dict[str, Any] | None = None
    said = ""
    wanted = revision

    def note(line: str) -> None:
        nonlocal said
        if line != said:
            say(line)
            said = line

    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            why = f"timed out after {_shown_duration(timeout)}"
            if last is not None:
                why += f": {last.get('summary', '')}"
            elif wanted is not None:
                why += f": the server has not seen revision {wanted} yet"
            return Outcome("timeout", _full_id(last, wanted), last, why)
        try:
            if wanted is None:
                wanted = _served(server, min(REQUEST_TIMEOUT, remaining), note)
            else:
                body = _progress(server, wanted, feature, min(REQUEST_TIMEOUT, remaining))
                if body is None:
                    note(f"revision {wanted}: not seen by the server yet")
                else:
                    last = body
                    state = body["state"]
                    if state in ("done", "failed"):
                        return Outcome(state, _full_id(body, wanted), body)
                    short = body["revision"]["short"]
                    note(f"revision {short}: {body['summary']}")
            contacted = True
        except ServerUnreachable as exc:
            if not contacted:
                return Outcome("unreachable", wanted, None, str(exc))
            note(f"{exc}; trying again")
        sleep(max(0.0, min(POLL_INTERVAL, deadline - clock())))


def _served(server: Server, timeout: float, note: Callable[[str], None]) -> str | None:
    _, body = server.get("/api/v1/status", timeout)
    served = body.get("served")
    if not isinstance(served, dict):
        note("the server serves no revision yet")
        return None
    revision = str(served["revision"])
    note(f"waiting for revision {revision[:12]}, the one served now")
    return revision


def _progress(
    server: Server, revision: str, feature: str | None, timeout: float
) -> dict[str, Any] | None:
    """The progress document; None while the server has not seen the revision."""
    path = f"/api/v1/revisions/{quote(revision, safe='')}/progress"
    if feature:
        path += f"?feature={quote(feature, safe='')}"
    status, body = server.get(path, timeout)
    if status == 404:
        return None
    if status != 200:
        raise CouldNotRun(f"revision {revision!r}: {body.get('error') or f'answered {status}'}")
    return body


def _full_id(body: dict[str, Any] | None, wanted: str | None) -> str | None:
    return wanted if body is None else str(body["revision"]["revision"])


def _token(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CouldNotRun(f"--token-file {path}: {exc.strerror}") from None
    if not token:
        raise CouldNotRun(f"--token-file {path}: the file is empty")
    return token


def _progress_line(line: str) -> None:
    print(f"fasit wait: {line}", file=sys.stderr, flush=True)


def _report(outcome: Outcome, as_json: bool) -> None:
    if as_json:
        document = {
            "outcome": outcome.outcome,
            "revision": outcome.revision,
            "error": outcome.error or None,
            "progress": outcome.progress,
        }
        print(json.dumps(document, indent=2))
        return
    if outcome.error:
        print(f"fasit wait: {outcome.error}", file=sys.stderr)
        return
    progress = outcome.progress or {}
    short = (outcome.revision or "")[:12]
    print(f"{outcome.outcome}: revision {short}: {progress.get('summary', '')}")
    for release in progress.get("failed", []):
        print(
            f"  {release['environment']} {release['feature']}: {release['status']}"
            + (f": {release['message']}" if release["message"] else "")
        )


def _shown_duration(seconds: float) -> str:
    """`90s`, `30m`, `1h` as given when whole; seconds otherwise."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
