"""Notify: events about the fleet, sent to webhooks and Slack (docs/notifications.md).

An edge stage: the observer derives events from the reconciler's passes and the snapshot
store's revisions, the dispatcher delivers them without ever holding a pass. Imports the
stages before it; only `fasit serve` (fasit.serve, fasit.cli) imports it.
"""

from fasit.notify.config import (
    DeliveryPolicy,
    NotifyConfig,
    Route,
    SinkConfig,
    SinkKind,
    parse_external_url,
    parse_route,
    parse_severity,
    parse_sink_url,
    shown_url,
)
from fasit.notify.dispatcher import DROP_REASONS, Dispatcher
from fasit.notify.events import (
    Event,
    EventKind,
    EventSeverity,
    Facts,
    Links,
    Notified,
    ReleaseFact,
    derive_events,
    revision_event,
)
from fasit.notify.metrics import NotificationMetrics
from fasit.notify.observer import Observer
from fasit.notify.post import MAX_HEADER_BYTES, Answer, BadAnswer, Outgoing, post
from fasit.notify.slack import slack_message, slack_payload
from fasit.notify.webhook import SIGNATURE_HEADER, sign, webhook_message

__all__ = [
    "DROP_REASONS",
    "MAX_HEADER_BYTES",
    "SIGNATURE_HEADER",
    "Answer",
    "BadAnswer",
    "DeliveryPolicy",
    "Dispatcher",
    "Event",
    "EventKind",
    "EventSeverity",
    "Facts",
    "Links",
    "NotificationMetrics",
    "Notified",
    "NotifyConfig",
    "Observer",
    "Outgoing",
    "ReleaseFact",
    "Route",
    "SinkConfig",
    "SinkKind",
    "derive_events",
    "parse_external_url",
    "parse_route",
    "parse_severity",
    "parse_sink_url",
    "post",
    "revision_event",
    "shown_url",
    "sign",
    "slack_message",
    "slack_payload",
    "webhook_message",
]
