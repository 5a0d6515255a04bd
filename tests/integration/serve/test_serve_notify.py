"""Notifications from `fasit serve` as a process: fake agents fail, a real receiver hears it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.integration.notify.receivers import Receiver, receiving
from tests.integration.serve.support import EXAMPLE_SECRETS, copy_example, serve

KEY = "a notification key that is never shown"


def events(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(received.body) for received in list(receiver.received)]


def failure_in(receiver: Receiver, environment: str) -> dict[str, Any] | None:
    for event in events(receiver):
        if (event["kind"], event["environment"]) == ("release-failed", environment):
            return event
    return None


def test_a_failing_environment_is_announced_to_the_webhook_signed(tmp_path: Path) -> None:
    secret = tmp_path / "notify-key"
    secret.write_text(KEY + "\n", encoding="utf-8")
    with receiving(KEY.encode()) as receiver:
        served = serve(
            tmp_path,
            "--state-dir",
            str(copy_example(tmp_path)),
            "--secrets-dir",
            str(EXAMPLE_SECRETS),
            "--fake-agents",
            "--notify-webhook",
            receiver.url,
            "--notify-secret-file",
            str(secret),
            "--external-url",
            "https://fasit.example.net/",
            environ={"FASIT_FAKE_FAILING": "nav/dev"},
        )
        try:
            served.until(lambda: failure_in(receiver, "nav/dev") is not None, "nav/dev's failure")
            _, metrics = served.get("/metrics")
            releases = served.releases()
        finally:
            served.stop()

    event = failure_in(receiver, "nav/dev")
    assert event is not None
    assert releases["nav/dev", event["feature"]]["status"] == "FAILED"
    assert event["link"] == (
        f"https://fasit.example.net/environments/nav/dev/features/{event['feature']}"
    )
    assert all(received.signed for received in receiver.received)
    assert 'fasit_notifications_delivered_total{sink="webhook-1"}' in metrics
    log = served.log.read_text(encoding="utf-8")
    assert KEY not in log
    assert "/hooks/fasit" not in log


def kinds_about(receiver: Receiver, kind: str) -> list[dict[str, Any]]:
    return [event for event in events(receiver) if event["kind"] == kind]


def test_circuits_silent_agents_revisions_and_routes_are_announced(tmp_path: Path) -> None:
    secret = tmp_path / "notify-key"
    secret.write_text(KEY, encoding="utf-8")
    state = copy_example(tmp_path)
    with receiving(KEY.encode()) as everything, receiving(KEY.encode()) as acme:
        served = serve(
            tmp_path,
            "--state-dir",
            str(state),
            "--secrets-dir",
            str(EXAMPLE_SECRETS),
            "--fake-agents",
            "--agent-timeout",
            "3",
            "--notify-webhook",
            everything.url,
            "--notify-route",
            f"tenant=acme=webhook:{acme.url}",
            "--notify-secret-file",
            str(secret),
            environ={
                "FASIT_FAKE_FAILING": "nav/dev,acme/dev,acme/staging",
                "FASIT_FAKE_UNHEALTHY": "nav/prod",
            },
        )
        try:
            served.until(lambda: kinds_about(everything, "circuit-opened"), "a circuit to open")
            served.until(lambda: kinds_about(everything, "agent-offline"), "nav/prod offline")
            (state / "environments" / "nav" / "dev.yaml").write_text("kind: [unclosed\n")
            served.until(lambda: kinds_about(everything, "revision-failed"), "the broken edit")
        finally:
            served.stop()

    [offline] = kinds_about(everything, "agent-offline")
    assert (offline["environment"], offline["severity"]) == ("nav/prod", "warning")
    assert kinds_about(everything, "revision-served")[0]["severity"] == "info"
    [refused] = kinds_about(everything, "revision-failed")
    assert re.search(r"environments/nav/dev\.yaml:\d+:\d+: yaml-syntax: ", refused["message"])
    failures = [(e["environment"], e["feature"]) for e in kinds_about(everything, "release-failed")]
    assert len(failures) == len(set(failures)), "a release failure announced twice"
    assert {environment for environment, _ in failures} == {"nav/dev", "acme/dev", "acme/staging"}
    routed = {event["environment"] for event in events(acme)}
    assert routed == {"acme/dev", "acme/staging"}
