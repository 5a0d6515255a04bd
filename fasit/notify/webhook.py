"""Webhook notifications: each event as JSON, signed with HMAC-SHA256 of the exact body.

`webhook_message` is what the dispatcher sends to a `--notify-webhook` URL. A receiver checks
`X-Fasit-Signature-256: sha256=<hex>` against the body bytes it received, as GitHub's
`X-Hub-Signature-256` is checked (docs/notifications.md shows how). The key never leaves here.
"""

from __future__ import annotations

import hashlib
import hmac

from fasit.notify.events import Event
from fasit.notify.post import Outgoing

__all__ = ["SIGNATURE_HEADER", "sign", "webhook_message"]

SIGNATURE_HEADER = "X-Fasit-Signature-256"


def sign(body: bytes, secret: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of body under secret>`."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def webhook_message(event: Event, secret: bytes) -> Outgoing:
    """The event's JSON body, signed, with its kind and id as headers for routing receivers."""
    body = event.body()
    return Outgoing(
        body,
        {
            SIGNATURE_HEADER: sign(body, secret),
            "X-Fasit-Event": event.kind.value,
            "X-Fasit-Delivery": event.id,
        },
    )
