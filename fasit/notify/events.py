"""Notification events, and how they follow from what `fasit serve` already knows.

Pure: `derive_events` compares the facts of one reconcile pass (failed releases, open
circuits, agents) with what was already announced, and returns the new events and the new
memory; `revision_event` turns a revision the snapshot store was offered into one event. The
observer (observer.py) gathers the facts; the dispatcher sends what comes out. Nothing here
does I/O or reads a clock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from urllib.parse import quote

from fasit.reconcile import Circuit, RolloutKey, Status
from fasit.state import Outcome, RevisionRecord, Severity, some

__all__ = [
    "Event",
    "EventKind",
    "EventSeverity",
    "Facts",
    "Links",
    "Notified",
    "ReleaseFact",
    "derive_events",
    "revision_event",
]

PROBLEMS_SHOWN = 3
"""Problems a failed revision's event quotes (the revisions page has all of them)."""


class EventKind(StrEnum):
    """What happened; the `kind` field of the JSON event."""

    RELEASE_FAILED = "release-failed"
    RELEASE_RECOVERED = "release-recovered"
    CIRCUIT_OPENED = "circuit-opened"
    CIRCUIT_CLOSED = "circuit-closed"
    REVISION_FAILED = "revision-failed"
    REVISION_SERVED = "revision-served"
    AGENT_OFFLINE = "agent-offline"
    AGENT_ONLINE = "agent-online"


class EventSeverity(StrEnum):
    """How urgent an event is; `--notify-min-severity` drops those below a level."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {EventSeverity.INFO: 0, EventSeverity.WARNING: 1, EventSeverity.ERROR: 2}

SEVERITIES: Mapping[EventKind, EventSeverity] = {
    EventKind.RELEASE_FAILED: EventSeverity.ERROR,
    EventKind.RELEASE_RECOVERED: EventSeverity.INFO,
    EventKind.CIRCUIT_OPENED: EventSeverity.ERROR,
    EventKind.CIRCUIT_CLOSED: EventSeverity.INFO,
    EventKind.REVISION_FAILED: EventSeverity.ERROR,
    EventKind.REVISION_SERVED: EventSeverity.INFO,
    EventKind.AGENT_OFFLINE: EventSeverity.WARNING,
    EventKind.AGENT_ONLINE: EventSeverity.INFO,
}
"""Each kind's severity: one place, documented in docs/notifications.md."""


@dataclass(frozen=True, slots=True)
class Event:
    """One notification. `environment` and `feature` are "" where the event has none."""

    kind: EventKind
    time: datetime
    message: str
    environment: str = ""
    feature: str = ""
    revision: str = ""
    link: str = ""
    """The dashboard page about it (needs `--external-url`); "" without one."""

    @property
    def severity(self) -> EventSeverity:
        return SEVERITIES[self.kind]

    @property
    def id(self) -> str:
        """The same for every delivery of this event: receivers drop repeats by it."""
        parts = [self.kind, self.time.isoformat(), self.environment, self.feature, self.message]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]

    def as_json(self) -> dict[str, str]:
        """The event as webhooks receive it (docs/notifications.md, "Event schema")."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "time": self.time.isoformat().replace("+00:00", "Z"),
            "environment": self.environment,
            "feature": self.feature,
            "revision": self.revision,
            "message": self.message,
            "link": self.link,
        }

    def body(self) -> bytes:
        """`as_json()` as the exact bytes that are sent (and signed)."""
        return json.dumps(self.as_json(), separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True, slots=True)
class Links:
    """Dashboard addresses under the public `--external-url`; all "" without one.

    >>> Links("https://fasit.example.net").release("nav/dev", "aivenator")
    'https://fasit.example.net/environments/nav/dev/features/aivenator'
    """

    base: str = ""

    def release(self, environment: str, feature: str) -> str:
        return self._at(f"/environments/{_path(environment)}/features/{_path(feature)}")

    def environment(self, environment: str) -> str:
        return self._at(f"/environments/{_path(environment)}")

    def feature(self, feature: str) -> str:
        return self._at(f"/features/{_path(feature)}")

    def revisions(self) -> str:
        return self._at("/revisions")

    def _at(self, path: str) -> str:
        return self.base.rstrip("/") + path if self.base else ""


def _path(name: str) -> str:
    return quote(name, safe="/")


@dataclass(frozen=True, slots=True)
class ReleaseFact:
    """One (environment, feature) as a pass left it: its shown status and latest failure."""

    environment: str
    feature: str
    status: Status
    version: str = ""
    release_hash: str = ""
    """The hash whose latest deploy failed ("" unless the status is FAILED)."""
    attempt: int = 0
    error: str = ""
    revision: str = ""
    """The revision the failed deploy came from."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What one pass knows that events are made of.

    `releases` holds every FAILED release and every release that `Notified.failing` names
    (whatever its status); the rest of the fleet does not matter to events.
    """

    revision: str
    releases: Mapping[tuple[str, str], ReleaseFact]
    circuits: Mapping[RolloutKey, Circuit]
    agents: Mapping[str, bool]
    """Whether each environment's agent is connected; environments never seen are absent."""


@dataclass(frozen=True, slots=True)
class Notified:
    """What was announced and still holds: the memory between two passes."""

    failing: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """The release hash announced as failed, per (environment, feature)."""
    circuits: frozenset[RolloutKey] = frozenset()
    offline: frozenset[str] = frozenset()


def derive_events(
    before: Notified, facts: Facts, at: datetime, links: Links
) -> tuple[list[Event], Notified]:
    """The events `facts` make news of, and what is announced afterwards.

    A release's failure is announced once per release hash and series of attempts: retries
    that fail again are not news; DEPLOYED ends the series (announced as recovered), and a
    failure of another hash starts a new one. A release that is no longer desired or running
    is forgotten quietly. A circuit is announced when it opens and when it closes; an agent
    when its session is lost and when it is back.
    """
    events: list[Event] = []
    failing = dict(before.failing)
    for pair in sorted(failing.keys() - facts.releases.keys()):
        del failing[pair]
    for pair, fact in sorted(facts.releases.items()):
        announced = failing.get(pair)
        if fact.status is Status.FAILED and fact.release_hash != announced:
            failing[pair] = fact.release_hash
            events.append(_failed(fact, at, links))
        elif fact.status is Status.DEPLOYED and announced is not None:
            del failing[pair]
            events.append(_recovered(fact, facts.revision, at, links))
    open_now = frozenset(facts.circuits)
    for key in sorted(open_now - before.circuits):
        events.append(_circuit_opened(facts.circuits[key], facts.revision, at, links))
    for key in sorted(before.circuits - open_now):
        events.append(_circuit_closed(key, facts.revision, at, links))
    offline = set(before.offline)
    for environment, connected in sorted(facts.agents.items()):
        if not connected and environment not in offline:
            offline.add(environment)
            events.append(_agent(EventKind.AGENT_OFFLINE, environment, facts, at, links))
        elif connected and environment in offline:
            offline.discard(environment)
            events.append(_agent(EventKind.AGENT_ONLINE, environment, facts, at, links))
    return events, Notified(failing, open_now, frozenset(offline))


def revision_event(record: RevisionRecord, links: Links) -> Event:
    """A revision served, or refused for its blocking problems (the first few quoted)."""
    revision = record.revision
    if record.outcome is Outcome.SERVED:
        return Event(
            EventKind.REVISION_SERVED,
            record.recorded_at,
            f"revision {revision.short_id} served: {_first_line(revision.message)}".rstrip(": "),
            revision=revision.id,
            link=links.revisions(),
        )
    errors = sorted(
        (problem for problem in record.problems if problem.severity is Severity.ERROR),
        key=lambda problem: problem.sort_key,
    )
    quoted = [f"{p.where}: {p.code}: {p.message}" for p in errors[:PROBLEMS_SHOWN]]
    more = record.errors - len(quoted)
    listed = "; ".join(quoted) + (f"; and {more} more" if more > 0 else "")
    return Event(
        EventKind.REVISION_FAILED,
        record.recorded_at,
        f"revision {revision.short_id} not served: {record.errors} blocking"
        f" problem{'s' * (record.errors != 1)}: {listed}; serving the last good revision",
        revision=revision.id,
        link=links.revisions(),
    )


def _failed(fact: ReleaseFact, at: datetime, links: Links) -> Event:
    error = f": {fact.error}" if fact.error else ""
    return Event(
        EventKind.RELEASE_FAILED,
        at,
        f"{fact.feature} {fact.version} failed in {fact.environment}"
        f" (attempt {fact.attempt}){error}",
        fact.environment,
        fact.feature,
        fact.revision,
        links.release(fact.environment, fact.feature),
    )


def _recovered(fact: ReleaseFact, revision: str, at: datetime, links: Links) -> Event:
    return Event(
        EventKind.RELEASE_RECOVERED,
        at,
        f"{fact.feature} {fact.version} is deployed again in {fact.environment}",
        fact.environment,
        fact.feature,
        revision,
        links.release(fact.environment, fact.feature),
    )


def _circuit_opened(circuit: Circuit, revision: str, at: datetime, links: Links) -> Event:
    feature, version, _ = circuit.key
    environments = [environment for environment, _ in circuit.failures]
    return Event(
        EventKind.CIRCUIT_OPENED,
        at,
        f"circuit open: {feature} {version} failed in {len(environments)} environments"
        f" ({some(environments)}); not sent to more until a new revision changes it",
        feature=feature,
        revision=revision,
        link=links.feature(feature),
    )


def _circuit_closed(key: RolloutKey, revision: str, at: datetime, links: Links) -> Event:
    feature, version, _ = key
    return Event(
        EventKind.CIRCUIT_CLOSED,
        at,
        f"circuit closed: {feature} {version} is no longer held back",
        feature=feature,
        revision=revision,
        link=links.feature(feature),
    )


def _agent(kind: EventKind, environment: str, facts: Facts, at: datetime, links: Links) -> Event:
    said = (
        "agent offline: its releases show OFFLINE until it is back"
        if kind is EventKind.AGENT_OFFLINE
        else "agent back online"
    )
    return Event(
        kind,
        at,
        f"{environment}: {said}",
        environment,
        revision=facts.revision,
        link=links.environment(environment),
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
