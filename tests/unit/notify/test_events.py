"""Events derived from what a pass knows and what was announced before: pure, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from fasit.notify import (
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
from fasit.reconcile import Circuit, Status
from fasit.state import Outcome, Problem, ProblemCode, Revision, RevisionRecord

AT = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)
LINKS = Links("https://fasit.example.net/")
HASH = "sha256:aaa"


def failed(
    attempt: int = 1, release_hash: str = HASH, error: str = "helm: timed out"
) -> ReleaseFact:
    return ReleaseFact(
        "nav/dev", "aivenator", Status.FAILED, "1.2.0", release_hash, attempt, error, "c0ffee"
    )


def shown(status: Status) -> ReleaseFact:
    return ReleaseFact("nav/dev", "aivenator", status, "1.2.0")


def facts(
    *releases: ReleaseFact,
    circuits: dict[tuple[str, str, str], Circuit] | None = None,
    agents: dict[str, bool] | None = None,
) -> Facts:
    return Facts(
        "c0ffee",
        {(fact.environment, fact.feature): fact for fact in releases},
        circuits or {},
        agents or {},
    )


def run(steps: list[Facts]) -> list[Event]:
    """Every event of a series of passes, each fed what the one before announced."""
    notified = Notified()
    events: list[Event] = []
    for step in steps:
        made, notified = derive_events(notified, step, AT, LINKS)
        events.extend(made)
    return events


def kinds(events: list[Event]) -> list[EventKind]:
    return [event.kind for event in events]


def test_a_failed_release_is_announced_naming_environment_feature_attempt_and_error() -> None:
    [event] = run([facts(failed())])

    assert event == Event(
        EventKind.RELEASE_FAILED,
        AT,
        "aivenator 1.2.0 failed in nav/dev (attempt 1): helm: timed out",
        "nav/dev",
        "aivenator",
        "c0ffee",
        "https://fasit.example.net/environments/nav/dev/features/aivenator",
    )
    assert event.severity is EventSeverity.ERROR


def test_retries_of_the_same_hash_that_fail_again_are_not_announced_again() -> None:
    events = run(
        [
            facts(failed(attempt=1)),
            facts(shown(Status.SENT)),
            facts(shown(Status.INSTALLING)),
            facts(failed(attempt=2)),
            facts(failed(attempt=2)),
            facts(failed(attempt=3)),
        ]
    )

    assert kinds(events) == [EventKind.RELEASE_FAILED]


def test_a_new_release_hash_that_fails_starts_a_new_series() -> None:
    events = run([facts(failed()), facts(failed(release_hash="sha256:bbb"))])

    assert kinds(events) == [EventKind.RELEASE_FAILED, EventKind.RELEASE_FAILED]


def test_a_failed_release_deployed_again_is_announced_as_recovered_once() -> None:
    events = run(
        [
            facts(failed()),
            facts(shown(Status.SENT)),
            facts(shown(Status.DEPLOYED)),
            facts(shown(Status.DEPLOYED)),
        ]
    )

    assert kinds(events) == [EventKind.RELEASE_FAILED, EventKind.RELEASE_RECOVERED]
    assert events[1].message == "aivenator 1.2.0 is deployed again in nav/dev"
    assert events[1].severity is EventSeverity.INFO


def test_the_same_hash_failing_after_a_recovery_is_a_new_series() -> None:
    events = run([facts(failed()), facts(shown(Status.DEPLOYED)), facts(failed())])

    assert kinds(events) == [
        EventKind.RELEASE_FAILED,
        EventKind.RELEASE_RECOVERED,
        EventKind.RELEASE_FAILED,
    ]


def test_a_deployed_release_that_never_failed_is_not_news() -> None:
    assert run([facts(shown(Status.DEPLOYED)), facts(shown(Status.DEPLOYED))]) == []


def test_a_failing_release_no_longer_desired_is_forgotten_without_an_event() -> None:
    events, notified = derive_events(Notified(), facts(failed()), AT, LINKS)
    events, notified = derive_events(notified, facts(), AT, LINKS)

    assert events == []
    assert notified.failing == {}


def test_a_release_hidden_behind_an_offline_agent_is_not_announced_again_when_it_returns() -> None:
    events = run([facts(failed()), facts(shown(Status.OFFLINE)), facts(failed())])

    assert kinds(events) == [EventKind.RELEASE_FAILED]


def circuit(*environments: str) -> Circuit:
    return Circuit(("aivenator", "1.2.0", "sha256:d"), tuple((e, "boom") for e in environments))


def test_a_circuit_is_announced_when_it_opens_and_when_it_closes_not_while_it_grows() -> None:
    key = ("aivenator", "1.2.0", "sha256:d")
    events = run(
        [
            facts(circuits={key: circuit("nav/dev", "nav/prod", "acme/dev")}),
            facts(circuits={key: circuit("nav/dev", "nav/prod", "acme/dev", "acme/prod")}),
            facts(),
        ]
    )

    assert kinds(events) == [EventKind.CIRCUIT_OPENED, EventKind.CIRCUIT_CLOSED]
    assert events[0].message == (
        "circuit open: aivenator 1.2.0 failed in 3 environments (nav/dev, nav/prod, acme/dev);"
        " not sent to more until a new revision changes it"
    )
    assert (events[0].feature, events[0].environment) == ("aivenator", "")
    assert events[0].link == "https://fasit.example.net/features/aivenator"
    assert events[1].message == "circuit closed: aivenator 1.2.0 is no longer held back"


def test_an_agent_is_announced_offline_once_and_back_online_once() -> None:
    events = run(
        [
            facts(agents={"nav/dev": True}),
            facts(agents={"nav/dev": False}),
            facts(agents={"nav/dev": False}),
            facts(agents={"nav/dev": True}),
            facts(agents={"nav/dev": True}),
        ]
    )

    assert kinds(events) == [EventKind.AGENT_OFFLINE, EventKind.AGENT_ONLINE]
    assert events[0].message == "nav/dev: agent offline: its releases show OFFLINE until it is back"
    assert events[0].severity is EventSeverity.WARNING
    assert events[0].link == "https://fasit.example.net/environments/nav/dev"


def test_an_agent_connecting_for_the_first_time_is_not_news() -> None:
    assert run([facts(agents={"nav/dev": True})]) == []


def record(outcome: Outcome, *problems: Problem, errors: int | None = None) -> RevisionRecord:
    revision = Revision("0123456789abcdef", "state", AT, message="roll aivenator\n\nbody")
    count = len(problems) if errors is None else errors
    return RevisionRecord(revision, outcome, AT, count, 0, problems)


def test_a_served_revision_is_announced_with_its_commit_subject() -> None:
    event = revision_event(record(Outcome.SERVED), LINKS)

    assert (event.kind, event.severity) == (EventKind.REVISION_SERVED, EventSeverity.INFO)
    assert event.message == "revision 0123456789ab served: roll aivenator"
    assert event.link == "https://fasit.example.net/revisions"


def test_a_failed_revision_quotes_its_first_problems_with_file_line_and_column() -> None:
    problems = [
        Problem(f"environments/nav/e{n}.yaml", n, 3, ProblemCode.UNKNOWN_FIELD, "unknown field")
        for n in range(1, 6)
    ]

    event = revision_event(record(Outcome.FAILED, *problems), LINKS)

    assert (event.kind, event.severity) == (EventKind.REVISION_FAILED, EventSeverity.ERROR)
    assert event.message == (
        "revision 0123456789ab not served: 5 blocking problems:"
        " environments/nav/e1.yaml:1:3: unknown-field: unknown field;"
        " environments/nav/e2.yaml:2:3: unknown-field: unknown field;"
        " environments/nav/e3.yaml:3:3: unknown-field: unknown field; and 2 more;"
        " serving the last good revision"
    )


def test_a_failed_revision_counts_problems_beyond_those_kept() -> None:
    problem = Problem("x.yaml", None, None, ProblemCode.SYMLINK, "a symlink")

    event = revision_event(record(Outcome.FAILED, problem, errors=250), LINKS)

    assert "1 more" not in event.message
    assert "x.yaml: symlink: a symlink; and 249 more;" in event.message


def test_the_json_event_has_every_field_of_the_documented_schema() -> None:
    [event] = run([facts(failed())])

    assert event.as_json() == {
        "id": event.id,
        "kind": "release-failed",
        "severity": "error",
        "time": "2026-12-05T22:00:00Z",
        "environment": "nav/dev",
        "feature": "aivenator",
        "revision": "c0ffee",
        "message": "aivenator 1.2.0 failed in nav/dev (attempt 1): helm: timed out",
        "link": "https://fasit.example.net/environments/nav/dev/features/aivenator",
    }


def test_the_event_id_is_stable_for_the_same_event_and_differs_for_another() -> None:
    [event] = run([facts(failed())])

    assert event.id == replace(event).id
    assert event.id != replace(event, environment="nav/prod").id


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("", ""),
        ("https://fasit.example.net", "https://fasit.example.net/environments/nav/dev"),
        ("https://example.net/fasit/", "https://example.net/fasit/environments/nav/dev"),
    ],
    ids=["no external url: no link", "a host", "a path prefix"],
)
def test_links_follow_the_external_url(base: str, expected: str) -> None:
    assert Links(base).environment("nav/dev") == expected
