"""The dispatcher's counters as Prometheus metrics, read at scrape time.

`fasit serve` registers `NotificationMetrics` in the registry behind `/metrics` (the web
package never imports this one): `fasit_notifications_delivered_total{sink}` and
`fasit_notifications_dropped_total{sink,reason}`, every configured sink listed from zero.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from fasit.notify.dispatcher import DROP_REASONS, Dispatcher

__all__ = ["NotificationMetrics"]


class NotificationMetrics(Collector):
    def __init__(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher

    def collect(self) -> Iterator[Metric]:
        dispatcher = self._dispatcher
        delivered = CounterMetricFamily(
            "fasit_notifications_delivered",
            "Notification events a receiver accepted (2xx), by sink.",
            labels=["sink"],
        )
        dropped = CounterMetricFamily(
            "fasit_notifications_dropped",
            "Notification events not delivered, by sink and reason: queue-full (the sink's"
            " queue was full), undeliverable (refused, or not taken within the attempts and"
            " the deadline), stopped (fasit serve stopped first).",
            labels=["sink", "reason"],
        )
        for sink in dispatcher.sinks:
            delivered.add_metric([sink.name], dispatcher.delivered[sink.name])
            for reason in DROP_REASONS:
                dropped.add_metric([sink.name, reason], dispatcher.dropped[sink.name, reason])
        yield delivered
        yield dropped
