"""The dispatcher: each event to the sinks that want it, through a bounded queue per sink.

`publish` never waits: it filters by severity and route, then puts the event on each chosen
sink's queue, or counts it dropped when that queue is full, so a reconcile pass that makes
events never waits on a receiver. One task per sink delivers its queue in order, retrying
connection errors, timeouts, 429 and 5xx with capped exponential backoff (a Retry-After is
honoured) within one overall deadline per event; any other answer is final. `fasit serve`
starts `run()` and calls `stop()` at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from fasit.notify.config import NotifyConfig, SinkConfig, SinkKind, shown_url
from fasit.notify.events import Event
from fasit.notify.post import Outgoing, post
from fasit.notify.slack import slack_message
from fasit.notify.webhook import webhook_message

__all__ = ["DROP_REASONS", "Dispatcher"]

logger = logging.getLogger(__name__)

QUEUE_FULL = "queue-full"
UNDELIVERABLE = "undeliverable"
STOPPED = "stopped"
DROP_REASONS = (QUEUE_FULL, UNDELIVERABLE, STOPPED)
"""Why an event was not delivered to a sink: its queue was full; the receiver refused it or
never took it within the attempts and the deadline; `fasit serve` stopped first."""


class Dispatcher:
    """Sends events to the configured sinks; `delivered` and `dropped` count by sink."""

    def __init__(
        self,
        config: NotifyConfig,
        labels: Callable[[str], Mapping[str, str]],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`labels(environment)`: that environment's labels now (routes match on them)."""
        self.config = config
        self._labels = labels
        self._clock = clock
        self._tls: ssl.SSLContext | None = None
        self._queues: dict[str, asyncio.Queue[Event]] = {
            sink.name: asyncio.Queue(config.policy.queue_size) for sink in config.sinks
        }
        self._dropping: set[str] = set()
        self._stopped = False
        self._workers: list[asyncio.Task[None]] = []
        self.delivered: Counter[str] = Counter()
        """Events a receiver accepted (2xx), by sink name."""
        self.dropped: Counter[tuple[str, str]] = Counter()
        """Events not delivered, by (sink name, one of DROP_REASONS)."""

    @property
    def sinks(self) -> tuple[SinkConfig, ...]:
        return self.config.sinks

    def publish(self, event: Event) -> None:
        """Queue `event` for every sink that wants it; never waits."""
        if event.severity.rank < self.config.min_severity.rank:
            return
        labels: Mapping[str, str] | None = None
        for sink in self.config.sinks:
            route = sink.route
            if route is not None:
                if not event.environment:
                    continue
                if labels is None:
                    labels = self._labels(event.environment)
                if labels.get(route.label) != route.value:
                    continue
            self._enqueue(sink, event)

    async def run(self) -> None:
        """Deliver until cancelled or stopped: one task per sink."""
        if any(sink.url.startswith("https:") for sink in self.config.sinks):
            # The system's CAs are read from disk: once, and off the loop.
            self._tls = await asyncio.to_thread(ssl.create_default_context)
        self._workers = [
            asyncio.create_task(self._deliver_queue(sink), name=f"notify-{sink.name}")
            for sink in self.config.sinks
        ]
        try:
            await asyncio.gather(*self._workers)
        finally:
            for worker in self._workers:
                worker.cancel()

    async def stop(self) -> None:
        """Take no more events; give queued ones `stop_grace` seconds, then drop the rest."""
        self._stopped = True
        queues = [queue.join() for queue in self._queues.values()]
        if queues and self._workers:
            try:
                async with asyncio.timeout(self.config.policy.stop_grace):
                    await asyncio.gather(*queues)
            except TimeoutError:
                pass
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        for name, queue in self._queues.items():
            while not queue.empty():
                queue.get_nowait()
                queue.task_done()
                self.dropped[name, STOPPED] += 1

    # -- delivery ------------------------------------------------------------------------------

    def _enqueue(self, sink: SinkConfig, event: Event) -> None:
        if self._stopped:
            self.dropped[sink.name, STOPPED] += 1
            return
        try:
            self._queues[sink.name].put_nowait(event)
        except asyncio.QueueFull:
            self.dropped[sink.name, QUEUE_FULL] += 1
            if sink.name not in self._dropping:  # once per streak, not once per event
                self._dropping.add(sink.name)
                logger.warning(
                    "notification queue full: dropping events until the receiver catches up",
                    extra={"sink": sink.name, "queued": self.config.policy.queue_size},
                )
            return
        self._dropping.discard(sink.name)

    async def _deliver_queue(self, sink: SinkConfig) -> None:
        queue = self._queues[sink.name]
        while True:
            event = await queue.get()
            try:
                problem = await self._deliver(sink, event)
            except Exception:  # a bug of ours must not end the sink for good
                logger.exception("notification delivery failed", extra={"sink": sink.name})
                problem = "internal error"
            finally:
                queue.task_done()
            if problem is None:
                self.delivered[sink.name] += 1
                continue
            self.dropped[sink.name, UNDELIVERABLE] += 1
            logger.warning(
                "notification not delivered",
                extra={
                    "sink": sink.name,
                    "url": shown_url(sink.url),
                    "event": event.kind.value,
                    "environment": event.environment,
                    "feature": event.feature,
                    "error": problem,
                },
            )

    async def _deliver(self, sink: SinkConfig, event: Event) -> str | None:
        """None once delivered; else why it was given up."""
        policy = self.config.policy
        outgoing = self._message(sink, event)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + policy.deadline
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - loop.time()
            retry_after: float | None = None
            try:
                async with asyncio.timeout(min(policy.attempt_timeout, remaining)):
                    answer = await post(sink.url, outgoing, now=self._clock(), tls=self._tls)
            except TimeoutError:
                problem = f"no answer within {min(policy.attempt_timeout, remaining):g} s"
            except OSError as exc:
                problem = f"{type(exc).__name__}: {exc.strerror or exc}"
            else:
                if 200 <= answer.status < 300:
                    return None
                problem = f"answered {answer.status}"
                if not _retried(answer.status):
                    return f"{problem} (not retried)"
                retry_after = answer.retry_after
            if attempt >= policy.max_attempts:
                return f"{problem}, after {attempt} attempts"
            wait = max(policy.backoff.delay(attempt), retry_after or 0.0)
            if loop.time() + wait >= deadline:
                return f"{problem}; the next attempt would pass the {policy.deadline:g} s deadline"
            logger.debug(
                "notification attempt failed; retrying",
                extra={"sink": sink.name, "attempt": attempt, "error": problem},
            )
            await asyncio.sleep(wait)

    def _message(self, sink: SinkConfig, event: Event) -> Outgoing:
        if sink.kind is SinkKind.SLACK:
            return slack_message(event)
        return webhook_message(event, self.config.secret)


def _retried(status: int) -> bool:
    return status == 429 or status >= 500
