"""Slack notifications: an incoming-webhook message per event, `text` plus `blocks`.

`text` is the whole event in one line (what notifications and old clients show); the blocks
lay it out and link the release (or environment, feature, revisions) page when fasit knows its
public address (`--external-url`). The webhook URL is the credential: it is never logged.
"""

from __future__ import annotations

import json
from typing import Any

from fasit.notify.events import Event, EventSeverity
from fasit.notify.post import Outgoing

__all__ = ["slack_message", "slack_payload"]

_MARKS = {
    EventSeverity.INFO: ":white_check_mark:",
    EventSeverity.WARNING: ":warning:",
    EventSeverity.ERROR: ":rotating_light:",
}


def slack_payload(event: Event) -> dict[str, Any]:
    """The message as Slack's incoming webhooks take it.

    >>> from datetime import datetime, UTC
    >>> from fasit.notify.events import EventKind
    >>> slack_payload(Event(EventKind.AGENT_ONLINE, datetime(2026, 1, 1, tzinfo=UTC),
    ...     "nav/dev: agent back online", "nav/dev"))["text"]
    '[info] agent-online nav/dev: nav/dev: agent back online'
    """
    about = " ".join(part for part in (event.environment, event.feature) if part)
    text = f"[{event.severity.value}] {event.kind.value}{' ' + about if about else ''}: "
    text += event.message
    headline = f"{_MARKS[event.severity]} *{_escape(event.kind.value)}*"
    if about:
        headline += f" {_escape(about)}"
    section: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": f"{headline}\n{_escape(event.message)}"},
    }
    context = [f"severity: {event.severity.value}", event.time.isoformat(timespec="seconds")]
    if event.revision:
        context.append(f"revision {event.revision[:12]}")
    if event.link:
        context.append(f"<{event.link}|open in fasit>")
    blocks = [
        section,
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": " · ".join(context)}],
        },
    ]
    return {"text": text, "blocks": blocks}


def slack_message(event: Event) -> Outgoing:
    body = json.dumps(slack_payload(event), separators=(",", ":")).encode()
    return Outgoing(body)


def _escape(text: str) -> str:
    """Slack's three control characters in mrkdwn; everything else is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
