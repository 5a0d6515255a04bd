"""`fasit serve --git` against a real `git daemon`: pushes reach the agents; the webhook makes
a push visible at once instead of at the next poll."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from pathlib import Path

from tests import states
from tests.integration.git_servers import GitDaemon, GitHttpServer, GitWork
from tests.integration.processes import LOOPBACK
from tests.integration.serve.support import Served, serve

SECRET = "hook-secret"
HOUR = "3600"  # the poll interval: only the webhook (or the first poll) can see a push
PUBLISHED = ("/metrics", "/api/v1/overview", "/api/v1/revisions", "/api/v1/status", "/")


def push_state(work: GitWork, version: str, message: str) -> str:
    files = states.state(
        states.environment("nav", "dev"),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.chart("web", "2.0.0"),
        states.assignment("web", version, {}, file="assignments/web.yaml"),
    )
    for path, text in files.items():
        work.write(path, text)
    sha = work.commit(message)
    work.push()
    return sha


def hook(served: Served, body: bytes = b"{}") -> int:
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        f"http://{LOOPBACK}:{served.http}/api/v1/hooks/git",
        data=body,
        headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return int(response.status)


def running_version(served: Served) -> str | None:
    item = served.releases().get(("nav/dev", "web"))
    return None if item is None or item["status"] != "DEPLOYED" else item["running_version"]


def test_a_signed_webhook_makes_a_push_visible_before_the_poll_interval(
    tmp_path: Path, git_work: GitWork, git_daemon: GitDaemon
) -> None:
    push_state(git_work, "1.0.0", "web 1.0.0")
    served = serve(
        tmp_path,
        "--git",
        git_daemon.url("repo.git"),
        "--ref",
        "main",
        "--poll-interval",
        HOUR,
        "--fake-agents",
        environ={"FASIT_WEBHOOK_SECRET": SECRET},
    )
    try:
        served.until(lambda: running_version(served) == "1.0.0", "1.0.0 deployed")

        head = push_state(git_work, "2.0.0", "web 2.0.0")
        assert hook(served) == 202

        served.until(
            lambda: served.get("/api/v1/status")[1]["served"]["revision"] == head,
            "the pushed commit served",
        )
        served.until(lambda: running_version(served) == "2.0.0", "2.0.0 deployed")
        _, status = served.get("/api/v1/status")
        assert status["served"]["message"].strip() == "web 2.0.0"
    finally:
        served.stop()


def test_a_password_in_the_git_url_is_never_published(
    tmp_path: Path, git_work: GitWork, git_http: GitHttpServer
) -> None:
    head = push_state(git_work, "1.0.0", "web 1.0.0")
    served = serve(
        tmp_path,
        "--git",
        git_http.url("repo.git", credentials=True),
        "--poll-interval",
        HOUR,
        "--fake-agents",
        environ={"FASIT_WEBHOOK_SECRET": SECRET},
    )
    try:
        served.until(
            lambda: served.get("/api/v1/status")[1]["served"]["revision"] == head, "served"
        )
        published = [served.get(path)[1] for path in PUBLISHED]

        git_http.stop()  # the next poll fails: its error is published too
        assert hook(served) == 202
        served.until(lambda: "refused" in json.dumps(served.get("/api/v1/status")), "error")
        published += [served.get(path)[1] for path in PUBLISHED]
    finally:
        served.stop()

    shown = json.dumps(published) + served.log.read_text()
    assert "fasit:***@127.0.0.1" in shown
    assert git_http.password not in shown
