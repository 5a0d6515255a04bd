"""What a webhook and Slack receive for one event: signed JSON, and text plus blocks."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from fasit.notify import SIGNATURE_HEADER, Event, EventKind, slack_payload, webhook_message

EVENT = Event(
    EventKind.RELEASE_FAILED,
    datetime(2026, 12, 5, 22, 0, tzinfo=UTC),
    "aivenator 1.2.0 failed in nav/dev (attempt 1): <helm> & co",
    "nav/dev",
    "aivenator",
    "0123456789abcdef",
    "https://fasit.example.net/environments/nav/dev/features/aivenator",
)


def test_a_webhook_body_is_the_json_event_signed_with_hmac_sha256_of_its_bytes() -> None:
    message = webhook_message(EVENT, b"the key")

    expected = "sha256=" + hmac.new(b"the key", message.body, hashlib.sha256).hexdigest()
    assert message.headers[SIGNATURE_HEADER] == expected
    assert json.loads(message.body) == EVENT.as_json()
    assert message.headers["X-Fasit-Event"] == "release-failed"
    assert message.headers["X-Fasit-Delivery"] == EVENT.id


def test_the_signing_key_is_in_no_header_or_body() -> None:
    message = webhook_message(EVENT, b"the key")

    assert b"the key" not in message.body
    assert not any("the key" in value for value in message.headers.values())


def test_a_slack_message_has_one_line_of_text_and_blocks_linking_the_release_page() -> None:
    payload = slack_payload(EVENT)

    assert payload["text"] == (
        "[error] release-failed nav/dev aivenator:"
        " aivenator 1.2.0 failed in nav/dev (attempt 1): <helm> & co"
    )
    section, context = payload["blocks"]
    assert section["text"]["text"] == (
        ":rotating_light: *release-failed* nav/dev aivenator\n"
        "aivenator 1.2.0 failed in nav/dev (attempt 1): &lt;helm&gt; &amp; co"
    )
    assert context["elements"][0]["text"] == (
        "severity: error · 2026-12-05T22:00:00+00:00 · revision 0123456789ab"
        " · <https://fasit.example.net/environments/nav/dev/features/aivenator|open in fasit>"
    )


def test_a_slack_message_without_an_external_url_has_no_link() -> None:
    payload = slack_payload(Event(EventKind.REVISION_SERVED, EVENT.time, "revision x served"))

    assert "<" not in payload["blocks"][1]["elements"][0]["text"]
    assert payload["text"] == "[info] revision-served: revision x served"
