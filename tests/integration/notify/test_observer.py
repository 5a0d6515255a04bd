"""The observer on a real reconciler, hub and agents: the events a fleet's life makes.

Agents run naisd's fake executor over real gRPC (tests/integration/reconcile/support.py);
retries are made quick so that a series of failed attempts happens within the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fasit.backoff import Backoff
from fasit.notify import Event, EventKind, Links, Observer
from fasit.reconcile import Limits, ReconcileConfig
from naisd.fake import FakeExecutor
from tests.integration.reconcile.support import Fleet, basic_state, runs
from tests.integration.waiting import eventually

# Passes come from events and plans; failed deploys are retried at once, many times.
QUICK_RETRIES = ReconcileConfig(
    interval=3600.0,
    retry=Backoff(initial=0.02, maximum=0.02, jitter=0.0, attempts=1000),
    limits=Limits(per_environment=1, fleet=50, circuit_threshold=2),
)


@pytest.fixture
async def watched(tmp_path: Path) -> AsyncIterator[tuple[Fleet, list[Event]]]:
    fleet = Fleet(tmp_path, reconcile=QUICK_RETRIES)
    await fleet.start()
    events: list[Event] = []
    observer = Observer(fleet.running, events.append, Links("https://fasit.example.net"))
    fleet.running.on_pass(observer.observe_pass)
    try:
        yield fleet, events
    finally:
        observer.close()
        await fleet.close()


def of(events: list[Event], *kinds: EventKind) -> list[tuple[EventKind, str, str]]:
    return [(e.kind, e.environment, e.feature) for e in events if e.kind in kinds]


async def test_a_failing_release_is_announced_once_however_often_it_is_retried_then_recovers(
    watched: tuple[Fleet, list[Event]],
) -> None:
    fleet, events = watched
    executor = FakeExecutor("nav/dev", failing=True, delay=(0, 0))
    fleet.connect("nav/dev", executor)
    fleet.connect("nav/prod")
    await fleet.until_connected("nav/dev", "nav/prod")
    fleet.publish(*basic_state())

    await eventually(lambda: len(runs(executor)) >= 3, "three failed attempts")
    executor.failing = False
    await fleet.until_status("nav/dev", "web", "DEPLOYED")

    releases = of(events, EventKind.RELEASE_FAILED, EventKind.RELEASE_RECOVERED)
    assert releases == [
        (EventKind.RELEASE_FAILED, "nav/dev", "web"),
        (EventKind.RELEASE_RECOVERED, "nav/dev", "web"),
    ]
    failed = events[[e.kind for e in events].index(EventKind.RELEASE_FAILED)]
    assert failed.message.startswith("web 1.0.0 failed in nav/dev (attempt 1): simulated failure")
    assert failed.link == "https://fasit.example.net/environments/nav/dev/features/web"


async def test_a_circuit_is_announced_open_and_closed_by_the_revision_that_changes_it(
    watched: tuple[Fleet, list[Event]],
) -> None:
    fleet, events = watched
    failing = [FakeExecutor(f"nav/{name}", failing=True, delay=(0, 0)) for name in ("dev", "prod")]
    for executor in failing:
        fleet.connect(executor.environment, executor)
    await fleet.until_connected("nav/dev", "nav/prod")
    fleet.publish(*basic_state())
    await eventually(lambda: of(events, EventKind.CIRCUIT_OPENED), "the circuit to open")

    for executor in failing:
        executor.failing = False
    fleet.publish(*basic_state(version="1.0.1"))
    await eventually(lambda: of(events, EventKind.CIRCUIT_CLOSED), "the circuit to close")

    assert of(events, EventKind.CIRCUIT_OPENED, EventKind.CIRCUIT_CLOSED) == [
        (EventKind.CIRCUIT_OPENED, "", "web"),
        (EventKind.CIRCUIT_CLOSED, "", "web"),
    ]


async def test_an_agent_that_leaves_is_announced_offline_and_back_when_it_returns(
    watched: tuple[Fleet, list[Event]],
) -> None:
    fleet, events = watched
    fleet.connect("nav/dev")
    await fleet.until_connected("nav/dev")
    fleet.publish(*basic_state())
    await fleet.until_status("nav/dev", "web", "DEPLOYED")

    agent, task = fleet.agents.pop("nav/dev")
    agent.stop()
    await task
    await eventually(lambda: of(events, EventKind.AGENT_OFFLINE), "nav/dev offline")
    fleet.connect("nav/dev")
    await eventually(lambda: of(events, EventKind.AGENT_ONLINE), "nav/dev back")

    assert of(events, EventKind.AGENT_OFFLINE, EventKind.AGENT_ONLINE) == [
        (EventKind.AGENT_OFFLINE, "nav/dev", ""),
        (EventKind.AGENT_ONLINE, "nav/dev", ""),
    ]
