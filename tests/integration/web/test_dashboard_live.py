"""What the dashboard shows after the state directory changes: live notices on the event
stream, a served edit's plan diff, and a broken edit's problems."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.processes import LOOPBACK
from tests.integration.serve.support import Served, serve_example

CONFIG = "configs/aivenator/nav-prod.yaml"


@pytest.fixture
def example(tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    running, state = serve_example(tmp_path)
    try:
        yield running, state
    finally:
        running.stop()


def edit(state: Path, path: str, old: str, new: str) -> None:
    file = state / path
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")


def test_an_edit_is_announced_on_the_event_stream(example: tuple[Served, Path]) -> None:
    running, state = example
    url = f"http://{LOOPBACK}:{running.http}/api/v1/events"
    with urllib.request.urlopen(url, timeout=20) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = [stream.readline().decode()]
        while events[-1].strip() != "":  # the greeting, to its blank line
            events.append(stream.readline().decode())
        edit(state, CONFIG, "logLevel: warn", "logLevel: debug")
        deadline = time.monotonic() + 15
        while "event: change\n" not in events and time.monotonic() < deadline:
            events.append(stream.readline().decode())

    assert "event: hello\n" in events
    assert "event: change\n" in events


def test_a_served_edit_shows_what_its_plan_changed(example: tuple[Served, Path]) -> None:
    running, state = example
    first = running.get("/api/v1/status")[1]["served"]["revision"]

    edit(state, CONFIG, "logLevel: warn", "logLevel: debug")
    running.until(
        lambda: running.get("/api/v1/status")[1]["served"]["revision"] != first, "the edit"
    )
    running.until(lambda: running.get("/api/v1/revisions")[1]["items"][0]["plans"], "its plan")

    newest = running.get("/api/v1/revisions")[1]["items"][0]
    (plan,) = newest["plans"]
    assert plan["previous"] == first
    assert plan["total"] == 1
    assert plan["changes"] == [
        {
            "environment": "nav/prod",
            "feature": "aivenator",
            "change": "values-changed",
            "from_version": "1.1.0",
            "to_version": "1.1.0",
            "from_status": "planned",
            "to_status": "planned",
            "changed_keys": ["logLevel"],
            "values": {"logLevel": {"from": "warn", "to": "debug"}},
            "message": "",
        }
    ]


def test_a_broken_edit_shows_its_problems_and_keeps_serving_the_last_good_revision(
    example: tuple[Served, Path],
) -> None:
    running, state = example
    good = running.get("/api/v1/overview")[1]["served"]["revision"]

    edit(state, "environments/nav/dev.yaml", "name: dev", "name: [dev")
    running.until(lambda: running.get("/api/v1/overview")[1]["failed_revision"], "the banner")

    overview = running.get("/api/v1/overview")[1]
    assert overview["served"]["revision"] == good
    problems = overview["failed_revision"]["problems"]
    broken = [p for p in problems if p["file"] == "environments/nav/dev.yaml"]
    assert broken
    assert broken[0]["line"] is not None
    assert "serving the last good revision" in overview["stale_reason"]
    failed = running.get("/api/v1/revisions")[1]["items"][0]
    assert failed["outcome"] == "failed"
    assert failed["problems"] == overview["failed_revision"]["problems"]
