"""`fasit wait`'s questions and answers: durations, tokens and the server's refusals, against a
scripted HTTP server on 127.0.0.1 that records what it is asked (the rollouts themselves are
followed against `fasit serve` in tests/integration/serve/test_wait.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_cli
from tests.integration.processes import free_port

REVISION = "ab" * 20


def progress(state: str, summary: str, **more: Any) -> dict[str, Any]:
    return {
        "revision": {"revision": REVISION, "short": REVISION[:12]},
        "state": state,
        "summary": summary,
        "failed": [],
        "pending": [],
        **more,
    }


class Script:
    """What the server answers each path with, in turn (the last answer repeats)."""

    def __init__(self, answers: dict[str, list[tuple[int, dict[str, Any]]]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str | None]] = []


@pytest.fixture
def api() -> Iterator[tuple[str, Script]]:
    script = Script({})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            script.asked.append((self.path, self.headers.get("Authorization")))
            answers = script.answers.get(self.path) or [(404, {"error": "not here"})]
            status, body = answers.pop(0) if len(answers) > 1 else answers[0]
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()


PROGRESS = f"/api/v1/revisions/{REVISION}/progress"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("5x", "argument --timeout: '5x' is not a duration: give seconds (90) or 90s, 30m, 1h"),
        ("1d", "argument --timeout: '1d' is not a duration"),
        ("", "argument --timeout: '' is not a duration"),
        ("0", "argument --timeout: '0': give a duration above 0"),
        ("0s", "argument --timeout: '0s': give a duration above 0"),
    ],
    ids=["an unknown unit", "days", "nothing", "zero seconds", "zero with a unit"],
)
def test_a_bad_duration_is_exit_2_with_one_line_saying_why(given: str, message: str) -> None:
    run = run_cli("wait", "--server", "http://127.0.0.1:1", "--timeout", given)

    assert run.exit_code == 2
    assert message in run.stderr


def test_an_unreachable_server_is_exit_2_at_once() -> None:
    url = f"http://127.0.0.1:{free_port()}"

    run = run_cli("wait", "--server", url, "--timeout", "1h")

    assert run.exit_code == 2
    assert run.stderr == f"fasit wait: cannot reach {url}: the connection failed\n"


def test_an_unreachable_server_in_json_is_an_outcome_on_stdout() -> None:
    url = f"http://127.0.0.1:{free_port()}"

    run = run_cli("wait", "--server", url, "--format", "json")

    assert run.exit_code == 2
    assert json.loads(run.stdout) == {
        "outcome": "unreachable",
        "revision": None,
        "error": f"cannot reach {url}: the connection failed",
        "progress": None,
    }


def test_a_server_url_that_is_not_http_is_exit_2() -> None:
    run = run_cli("wait", "--server", "127.0.0.1:8080")

    assert run.exit_code == 2
    assert "--server '127.0.0.1:8080': expected an http:// or https:// URL" in run.stderr


def test_the_token_file_is_sent_as_a_bearer_token_and_never_shown(
    api: tuple[str, Script], tmp_path: Path
) -> None:
    url, script = api
    script.answers[PROGRESS] = [(200, progress("done", "1 of 1 done"))]
    token = tmp_path / "token"
    token.write_text("s3cret-token\n", encoding="utf-8")

    run = run_cli("wait", "--server", url, "--revision", REVISION, "--token-file", token)

    assert run.exit_code == 0
    assert script.asked == [(PROGRESS, "Bearer s3cret-token")]
    assert "s3cret" not in run.stdout + run.stderr


def test_a_missing_token_file_is_exit_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope"

    run = run_cli("wait", "--server", "http://127.0.0.1:1", "--token-file", missing)

    assert run.exit_code == 2
    assert f"--token-file {missing}: No such file or directory" in run.stderr


def test_a_refused_token_is_exit_2_saying_so(api: tuple[str, Script]) -> None:
    url, script = api
    script.answers["/api/v1/status"] = [(401, {"error": "token required"})]

    run = run_cli("wait", "--server", url)

    assert run.exit_code == 2
    assert f"{url} refused the request (401): check --token-file" in run.stderr


def test_an_ambiguous_prefix_is_exit_2_with_the_servers_words(api: tuple[str, Script]) -> None:
    url, script = api
    path = "/api/v1/revisions/ab/progress"
    script.answers[path] = [(409, {"error": "'ab' starts 2 recent revisions (…): give more"})]

    run = run_cli("wait", "--server", url, "--revision", "ab")

    assert run.exit_code == 2
    assert "fasit wait: revision 'ab': 'ab' starts 2 recent revisions" in run.stderr


def test_the_served_revision_is_followed_through_a_server_error_to_its_end(
    api: tuple[str, Script],
) -> None:
    url, script = api
    script.answers["/api/v1/status"] = [(200, {"served": {"revision": REVISION}})]
    script.answers[PROGRESS] = [
        (200, progress("pending", "0 of 1 done; waiting for nav/dev web SENT")),
        (503, {}),
        (200, progress("done", "1 of 1 done")),
    ]

    run = run_cli("wait", "--server", url)

    assert run.exit_code == 0
    assert run.stdout == f"done: revision {REVISION[:12]}: 1 of 1 done\n"
    assert run.stderr.splitlines() == [
        f"fasit wait: waiting for revision {REVISION[:12]}, the one served now",
        f"fasit wait: revision {REVISION[:12]}: 0 of 1 done; waiting for nav/dev web SENT",
        f"fasit wait: {url}{PROGRESS} answered 503; trying again",
    ]


def test_a_failed_rollout_is_exit_1_listing_every_failed_release(
    api: tuple[str, Script],
) -> None:
    url, script = api
    failed = [
        {"environment": "nav/dev", "feature": "web", "status": "FAILED", "message": "boom"},
        {"environment": "nav/prod", "feature": "web", "status": "PENDING", "message": "halted: x"},
    ]
    script.answers[PROGRESS] = [(200, progress("failed", "2 failed: …", failed=failed))]

    run = run_cli("wait", "--server", url, "--revision", REVISION)

    assert run.exit_code == 1
    assert run.stdout.splitlines() == [
        f"failed: revision {REVISION[:12]}: 2 failed: …",
        "  nav/dev web: FAILED: boom",
        "  nav/prod web: PENDING: halted: x",
    ]
