"""Where notifications go: sinks, per-tenant routes and the delivery policy, parsed from flags.

Pure: `fasit serve` (fasit/cli/_serve_config.py) turns its `--notify-*` flags into a `NotifyConfig`
with the parsers here, which raise ValueError with one line naming the flag and the value;
the dispatcher reads the result. URLs are shown to people only through `shown_url`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from fasit.backoff import Backoff
from fasit.notify.events import EventSeverity

__all__ = [
    "DeliveryPolicy",
    "NotifyConfig",
    "Route",
    "SinkConfig",
    "SinkKind",
    "parse_external_url",
    "parse_route",
    "parse_severity",
    "parse_sink_url",
    "shown_url",
]


class SinkKind(StrEnum):
    WEBHOOK = "webhook"
    """A signed JSON POST per event (webhook.py)."""
    SLACK = "slack"
    """A Slack incoming-webhook message per event (slack.py)."""


@dataclass(frozen=True, slots=True)
class Route:
    """Events about environments whose label `label` is `value` (a tenant's own channel)."""

    label: str
    value: str

    def __str__(self) -> str:
        return f"{self.label}={self.value}"


@dataclass(frozen=True, slots=True)
class SinkConfig:
    """One place events are sent; `route` None means every event (above the severity)."""

    name: str
    """How logs and metrics name it (`webhook-1`, `slack`, `route-1`): never its URL."""
    kind: SinkKind
    url: str = field(repr=False)
    route: Route | None = None

    def __repr__(self) -> str:
        return f"SinkConfig({self.name!r}, {self.kind.value}, {shown_url(self.url)!r})"


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How hard one sink tries: a bounded queue, then retries within one overall deadline."""

    queue_size: int = 256
    """Events waiting per sink; more are dropped (and counted)."""
    attempt_timeout: float = 10.0
    """Seconds one POST may take, connecting included."""
    deadline: float = 300.0
    """Seconds one event may take in all, retries and their waits included."""
    max_attempts: int = 8
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=1.0, maximum=60.0))
    stop_grace: float = 2.0
    """Seconds `fasit serve` waits at shutdown for queued events before dropping them."""

    def __post_init__(self) -> None:
        if self.queue_size < 1 or self.max_attempts < 1:
            raise ValueError(f"a delivery policy needs a queue and an attempt, got {self}")
        if self.attempt_timeout <= 0 or self.deadline <= 0 or self.stop_grace < 0:
            raise ValueError(f"a delivery policy needs positive times, got {self}")


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """Every sink of one `fasit serve`; no sinks, no notifications."""

    sinks: tuple[SinkConfig, ...] = ()
    secret: bytes = field(default=b"", repr=False)
    """The HMAC-SHA256 key webhook bodies are signed with (`--notify-secret-file`)."""
    min_severity: EventSeverity = EventSeverity.INFO
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)

    def __post_init__(self) -> None:
        webhooks = any(sink.kind is SinkKind.WEBHOOK for sink in self.sinks)
        if webhooks and not self.secret:
            raise ValueError(
                "webhook notifications are signed: give --notify-secret-file (the HMAC key)"
            )
        names = [sink.name for sink in self.sinks]
        if len(set(names)) != len(names):
            raise ValueError(f"notification sinks need distinct names, got {names}")


def parse_sink_url(text: str, flag: str) -> str:
    """`text` if it is an http(s) URL with a host; ValueError naming `flag` otherwise."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{flag} {shown_url(text)!r}: expected an http:// or https:// URL")
    del port  # read only to refuse a bad one ("host:99999", "host:x")
    return text


def parse_external_url(text: str) -> str:
    """The dashboard's public URL (`--external-url`), without a trailing slash."""
    if not text:
        return ""
    parse_sink_url(text, "--external-url")
    if urlsplit(text).query or urlsplit(text).fragment:
        raise ValueError(f"--external-url {text!r}: expected no query or fragment")
    return text.rstrip("/")


_ROUTE = re.compile(r"^(?P<label>[^=\s]+)=(?P<value>.*?)=(?P<kind>webhook|slack):(?P<url>.+)$")


def parse_route(text: str, name: str) -> SinkConfig:
    """`LABEL=VALUE=KIND:URL` as a sink named `name` for events of environments so labelled.

    >>> parse_route("tenant=acme=slack:https://hooks.slack.com/services/T/B/X", "route-1")
    SinkConfig('route-1', slack, 'https://hooks.slack.com/***')
    """
    match = _ROUTE.match(text)
    if match is None:
        raise ValueError(
            f"--notify-route {_shown_route(text)!r}: expected LABEL=VALUE=KIND:URL with KIND"
            " webhook or slack, e.g. tenant=acme=slack:https://hooks.slack.com/services/…"
        )
    url = parse_sink_url(match["url"], "--notify-route")
    return SinkConfig(name, SinkKind(match["kind"]), url, Route(match["label"], match["value"]))


def _shown_route(text: str) -> str:
    """A route as given, its URL (if any) through `shown_url`: tenant=acme=slack:https://h/***."""
    head, separator, tail = text.partition("://")
    return head + separator + shown_url("x://" + tail).removeprefix("x://") if separator else text


def parse_severity(text: str) -> EventSeverity:
    try:
        return EventSeverity(text)
    except ValueError:
        choices = ", ".join(severity.value for severity in EventSeverity)
        raise ValueError(f"--notify-min-severity {text!r}: expected one of {choices}") from None


_MASK = "***"


def shown_url(url: str) -> str:
    """`url` as logs may show it: scheme, host and port; user-info and path masked.

    A webhook's path or query often is its credential (Slack's is), so neither is shown.

    >>> shown_url("https://user:pw@hooks.example.net:8443/services/T/B/X?token=1")
    'https://***@hooks.example.net:8443/***'
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return _MASK
    authority, slash, path = rest.partition("/")
    for cut in "?#":
        authority = authority.partition(cut)[0]
    _, at, host = authority.rpartition("@")
    shown = f"{scheme}://{_MASK + '@' if at else ''}{host}"
    return shown + (f"/{_MASK}" if (slash and path) or len(rest) > len(authority) + 1 else "")
