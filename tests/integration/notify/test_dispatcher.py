"""The dispatcher against real HTTP receivers on 127.0.0.1: signed, retried, bounded, routed.

Backoff and timeouts are shortened so that retries happen at once; every wait is a bounded
poll on what the receiver or the counters say, never an assertion on time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from fasit.backoff import Backoff
from fasit.notify import (
    DeliveryPolicy,
    Dispatcher,
    Event,
    EventKind,
    EventSeverity,
    NotificationMetrics,
    NotifyConfig,
    Route,
    SinkConfig,
    SinkKind,
)
from tests.integration.notify.receivers import receiving
from tests.integration.processes import free_port
from tests.integration.waiting import eventually

KEY = b"notification key"
FAST = DeliveryPolicy(
    queue_size=4,
    attempt_timeout=5.0,
    deadline=30.0,
    max_attempts=3,
    backoff=Backoff(initial=0.01, maximum=0.05, jitter=0.0),
    stop_grace=0.5,
)
LABELS = {"acme/dev": {"tenant": "acme"}, "nav/dev": {"tenant": "nav"}}


def event(environment: str = "nav/dev", kind: EventKind = EventKind.RELEASE_FAILED) -> Event:
    return Event(
        kind,
        datetime(2026, 12, 5, 22, 0, tzinfo=UTC),
        f"aivenator 1.2.0 failed in {environment} (attempt 1)",
        environment,
        "aivenator",
        "c0ffee",
    )


def webhook(url: str, name: str = "webhook-1", route: Route | None = None) -> SinkConfig:
    return SinkConfig(name, SinkKind.WEBHOOK, url, route)


def labels_of(environment: str) -> Mapping[str, str]:
    return LABELS.get(environment, {})


@asynccontextmanager
async def dispatching(
    *sinks: SinkConfig,
    policy: DeliveryPolicy = FAST,
    severity: EventSeverity = EventSeverity.INFO,
) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher(NotifyConfig(sinks, KEY, severity, policy), labels_of)
    running = asyncio.create_task(dispatcher.run())
    try:
        yield dispatcher
    finally:
        await dispatcher.stop()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_an_event_reaches_a_webhook_as_json_signed_with_the_key() -> None:
    with receiving(KEY) as receiver:
        async with dispatching(webhook(receiver.url)) as dispatcher:
            dispatcher.publish(event())
            await eventually(lambda: dispatcher.delivered["webhook-1"] == 1, "the delivery")

    [received] = receiver.received
    assert received.signed
    assert received.path == "/hooks/fasit"
    assert received.headers["Content-Type"] == "application/json"
    assert json.loads(received.body)["environment"] == "nav/dev"
    assert json.loads(received.body)["feature"] == "aivenator"


async def test_a_receiver_that_answers_500_then_200_gets_the_event_on_a_retry() -> None:
    with receiving(KEY) as receiver:
        receiver.answer(500, 200)
        async with dispatching(webhook(receiver.url)) as dispatcher:
            dispatcher.publish(event())
            await eventually(lambda: dispatcher.delivered["webhook-1"] == 1, "the retry")

    assert receiver.count == 2
    assert receiver.received[0].body == receiver.received[1].body
    assert all(received.signed for received in receiver.received)
    assert dispatcher.dropped == {}


async def test_a_receiver_that_always_answers_500_is_given_up_after_the_attempts() -> None:
    with receiving(KEY) as receiver:
        receiver.answer(500)
        async with dispatching(webhook(receiver.url)) as dispatcher:
            dispatcher.publish(event())
            await eventually(
                lambda: dispatcher.dropped["webhook-1", "undeliverable"] == 1, "giving up"
            )

    assert receiver.count == FAST.max_attempts
    assert dispatcher.delivered["webhook-1"] == 0


async def test_too_many_requests_is_retried_after_the_retry_after_it_gives() -> None:
    with receiving(KEY) as receiver:
        receiver.answer((429, {"Retry-After": "0"}), 200)
        async with dispatching(webhook(receiver.url)) as dispatcher:
            dispatcher.publish(event())
            await eventually(lambda: dispatcher.delivered["webhook-1"] == 1, "the retry")

    assert receiver.count == 2


async def test_a_retry_after_beyond_the_deadline_gives_up_at_once() -> None:
    with receiving(KEY) as receiver:
        receiver.answer((503, {"Retry-After": "3600"}))
        async with dispatching(webhook(receiver.url)) as dispatcher:
            dispatcher.publish(event())
            await eventually(
                lambda: dispatcher.dropped["webhook-1", "undeliverable"] == 1, "giving up"
            )

    assert receiver.count == 1


async def test_a_client_error_other_than_429_is_not_retried() -> None:
    with receiving(KEY) as receiver:
        receiver.answer(400, 200)
        async with dispatching(webhook(receiver.url)) as dispatcher:
            dispatcher.publish(event())
            await eventually(
                lambda: dispatcher.dropped["webhook-1", "undeliverable"] == 1, "refusal"
            )

    assert receiver.count == 1


async def test_a_receiver_nobody_listens_on_is_retried_then_given_up() -> None:
    nobody = f"http://127.0.0.1:{free_port()}/hooks/fasit"
    async with dispatching(webhook(nobody)) as dispatcher:
        dispatcher.publish(event())
        await eventually(lambda: dispatcher.dropped["webhook-1", "undeliverable"] == 1, "giving up")


async def test_a_slow_receiver_is_given_up_after_the_attempt_timeout() -> None:
    policy = DeliveryPolicy(
        attempt_timeout=0.2, max_attempts=2, backoff=Backoff(0.01, 0.01, 0.0), stop_grace=0.1
    )
    with receiving(KEY) as receiver:
        receiver.hold()
        async with dispatching(webhook(receiver.url), policy=policy) as dispatcher:
            dispatcher.publish(event())
            await eventually(
                lambda: dispatcher.dropped["webhook-1", "undeliverable"] == 1, "the timeouts"
            )

    assert receiver.count == 2


async def test_publishing_never_waits_and_a_full_queue_drops_and_counts() -> None:
    with receiving(KEY) as receiver:
        receiver.hold()
        async with dispatching(webhook(receiver.url)) as dispatcher:
            dispatcher.publish(event())
            await eventually(lambda: receiver.count == 1, "the first delivery to be held")

            for _ in range(FAST.queue_size + 3):  # in one go: nothing here awaits
                dispatcher.publish(event())

            assert dispatcher.dropped["webhook-1", "queue-full"] == 3
            receiver.release()
            await eventually(
                lambda: dispatcher.delivered["webhook-1"] == FAST.queue_size + 1, "the queue"
            )


async def test_events_still_queued_at_stop_are_counted_as_dropped() -> None:
    with receiving(KEY) as receiver:
        receiver.hold()
        async with dispatching(webhook(receiver.url)) as dispatcher:
            dispatcher.publish(event())
            await eventually(lambda: receiver.count == 1, "the first delivery to be held")
            dispatcher.publish(event())
            dispatcher.publish(event())

    assert dispatcher.dropped["webhook-1", "stopped"] == 2


async def test_a_route_gets_the_events_of_environments_with_its_label_and_no_others() -> None:
    with receiving(KEY) as everything, receiving(KEY) as acme:
        sinks = (
            webhook(everything.url),
            webhook(acme.url, "route-1", Route("tenant", "acme")),
        )
        async with dispatching(*sinks) as dispatcher:
            dispatcher.publish(event("acme/dev"))
            dispatcher.publish(event("nav/dev"))
            dispatcher.publish(event("", EventKind.REVISION_SERVED))
            await eventually(lambda: dispatcher.delivered["webhook-1"] == 3, "every event")
            await eventually(lambda: dispatcher.delivered["route-1"] == 1, "acme's event")

    assert [json.loads(r.body)["environment"] for r in acme.received] == ["acme/dev"]


async def test_events_below_the_minimum_severity_are_not_sent() -> None:
    with receiving(KEY) as receiver:
        async with dispatching(webhook(receiver.url), severity=EventSeverity.WARNING) as dispatcher:
            dispatcher.publish(event(kind=EventKind.AGENT_ONLINE))
            dispatcher.publish(event(kind=EventKind.AGENT_OFFLINE))
            await eventually(lambda: dispatcher.delivered["webhook-1"] == 1, "the warning")

    assert [json.loads(r.body)["kind"] for r in receiver.received] == ["agent-offline"]


async def test_a_slack_sink_gets_text_and_blocks_and_no_signature() -> None:
    with receiving() as receiver:
        async with dispatching(SinkConfig("slack", SinkKind.SLACK, receiver.url)) as dispatcher:
            dispatcher.publish(event())
            await eventually(lambda: dispatcher.delivered["slack"] == 1, "the message")

    [received] = receiver.received
    payload = json.loads(received.body)
    assert payload["text"].startswith("[error] release-failed nav/dev aivenator:")
    assert [block["type"] for block in payload["blocks"]] == ["section", "context"]
    assert "X-Fasit-Signature-256" not in received.headers


async def test_the_counters_are_prometheus_metrics_per_sink() -> None:
    with receiving(KEY) as receiver:
        receiver.hold()
        async with dispatching(webhook(receiver.url)) as dispatcher:
            registry = CollectorRegistry()
            registry.register(NotificationMetrics(dispatcher))
            dispatcher.publish(event())
            await eventually(lambda: receiver.count == 1, "the first delivery to be held")
            for _ in range(FAST.queue_size + 2):
                dispatcher.publish(event())
            exposed = generate_latest(registry).decode()
            receiver.release()

    assert 'fasit_notifications_dropped_total{reason="queue-full",sink="webhook-1"} 2.0' in exposed
    assert 'fasit_notifications_delivered_total{sink="webhook-1"} 0.0' in exposed


async def test_a_receiver_behind_basic_auth_gets_the_credentials_of_its_url() -> None:
    with receiving(KEY) as receiver:
        url = receiver.url.replace("http://", "http://fasit:s%40cret@")
        async with dispatching(webhook(url)) as dispatcher:
            dispatcher.publish(event())
            await eventually(lambda: dispatcher.delivered["webhook-1"] == 1, "the delivery")

    assert receiver.received[0].headers["Authorization"] == "Basic ZmFzaXQ6c0BjcmV0"


async def test_an_event_given_up_is_logged_once_naming_the_sink_but_not_the_url_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with receiving(KEY) as receiver:
        receiver.answer(404)
        async with dispatching(webhook(receiver.url + "/t0k3n")) as dispatcher:
            with caplog.at_level(logging.WARNING, logger="fasit.notify"):
                dispatcher.publish(event())
                await eventually(
                    lambda: dispatcher.dropped["webhook-1", "undeliverable"] == 1, "refusal"
                )

    [record] = [r for r in caplog.records if r.name == "fasit.notify.dispatcher"]
    assert record.getMessage() == "notification not delivered"
    assert vars(record)["sink"] == "webhook-1"
    assert vars(record)["error"] == "answered 404 (not retried)"
    assert "t0k3n" not in str(vars(record))
