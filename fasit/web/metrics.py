"""`/metrics`: Prometheus metrics of `fasit serve`, all named `fasit_…`.

Events (a revision offered, a pass, a deploy-log row) update counters and histograms as they
happen; what is a state (connected agents, the served revision, each release's status) is
read at scrape time, so it is never stale and costs nothing between scrapes. The event loop's
lag is sampled by `measure_loop_lag`, a task `fasit serve` runs beside the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fasit.reconcile import Deploy, DeployState, PassReport, change_label
from fasit.state import Outcome, RevisionRecord, Snapshot
from fasit.web.read import ReadSide

__all__ = ["LOOP_LAG_INTERVAL", "FasitMetrics"]

LOOP_LAG_INTERVAL = 0.25
"""Seconds between the loop-lag sampler's wake-ups."""

_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_FINAL = frozenset({DeployState.DEPLOYED, DeployState.FAILED, DeployState.UNINSTALLED})


class FasitMetrics:
    """The registry of one `fasit serve`; feed it with `observe_*`, mount `route()`."""

    def __init__(self, read: ReadSide) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self._build = Histogram(
            "fasit_snapshot_build_seconds",
            "Time to build a snapshot of a revision (parse, check, index).",
            registry=registry,
        )
        self._reconcile = Histogram(
            "fasit_reconcile_seconds", "Time of one reconcile pass.", registry=registry
        )
        self._decisions = Counter(
            "fasit_decisions",
            "Decisions that changed (rows of the decision log), by reason.",
            ["reason"],
            registry=registry,
        )
        self._sent = Counter(
            "fasit_instructions_sent", "Instructions queued for agents.", registry=registry
        )
        self._deploys = Histogram(
            "fasit_deploy_seconds",
            "Time from sending an instruction to its result, by outcome.",
            ["outcome"],
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800),
            registry=registry,
        )
        self._loop_lag = Histogram(
            "fasit_event_loop_lag_seconds",
            "How late the event loop woke a task that asked to wake at a time: anything"
            " blocking the loop (web, agent hub, reconciler all wait meanwhile) shows here.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        registry.register(_State(read))

    def observe_offer(self, snapshot: Snapshot, record: RevisionRecord) -> None:
        self._build.observe(snapshot.build_seconds)

    def observe_pass(self, report: PassReport) -> None:
        self._reconcile.observe(report.seconds)
        self._sent.inc(report.sent)
        for reason, count in report.recorded.items():
            self._decisions.labels(reason.value).inc(count)

    def observe_deploy(self, deploy: Deploy) -> None:
        if deploy.state in _FINAL:
            seconds = (deploy.updated_at - deploy.sent_at).total_seconds()
            self._deploys.labels(deploy.state.value).observe(max(seconds, 0.0))

    async def measure_loop_lag(self, interval: float = LOOP_LAG_INTERVAL) -> None:
        """Until cancelled: ask to wake every `interval` s and observe how late each wake-up
        came. A loop that is never blocked observes about 0; one blocked for 2 s, about 2."""
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + interval
            await asyncio.sleep(interval)
            self._loop_lag.observe(max(0.0, loop.time() - due))

    def route(self) -> Route:
        async def metrics(request: Request) -> Response:
            return Response(generate_latest(self.registry), media_type=_CONTENT_TYPE)

        return Route("/metrics", metrics)


class _State(Collector):
    """Gauges read at scrape time."""

    def __init__(self, read: ReadSide) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        agents = GaugeMetricFamily("fasit_agents_connected", "Agents with a live session.")
        agents.add_metric([], self._read.agents_connected())
        yield agents
        dropped = CounterMetricFamily(
            "fasit_agent_messages_dropped",
            "Agent messages (or log lines) the hub dropped: for an instruction not sent to the"
            " sender's environment (not-sent-here), beyond the lines per instruction"
            " (too-many-lines), or refused as unusable, ending the stream (refused).",
            labels=["kind", "reason"],
        )
        for (kind, reason), count in sorted(self._read.agent_messages_dropped().items()):
            dropped.add_metric([kind, reason], count)
        yield dropped
        unwritten = CounterMetricFamily(
            "fasit_status_writes_dropped",
            "Status store rows dropped because its write queue was full, by table.",
            labels=["table"],
        )
        for table, count in sorted(self._read.status_writes_dropped().items()):
            unwritten.add_metric([table], count)
        yield unwritten
        revision = GaugeMetricFamily(
            "fasit_revision_info", "The revision being served.", labels=["revision", "source"]
        )
        synced = GaugeMetricFamily(
            "fasit_last_successful_sync_timestamp_seconds",
            "When the served revision was taken in (Unix time).",
        )
        store = self._read.store
        current = store.current
        if current is not None:
            revision.add_metric([current.revision.id, current.revision.source], 1)
            served = [r for r in store.history if r.outcome is Outcome.SERVED]
            if served:
                synced.add_metric([], served[0].recorded_at.timestamp())
        yield revision
        yield synced
        errors = CounterMetricFamily(
            "fasit_sync_errors", "Revisions not served, by reason.", labels=["reason"]
        )
        errors.add_metric(["blocking-problems"], store.failed_revisions)
        errors.add_metric(["source-unavailable"], store.source_errors)
        yield errors
        releases = GaugeMetricFamily(
            "fasit_release_info",
            "One per (environment, feature) desired or running, with its status.",
            labels=["environment", "feature", "version", "status"],
        )
        for view in self._read.fleet.releases():
            version = view.running_version or view.desired_version
            releases.add_metric([view.environment, view.feature, version, view.status.value], 1)
        yield releases
        waves = GaugeMetricFamily(
            "fasit_rollout_wave",
            "Per change rolling through a Rollout's waves: the index of the wave rolling now"
            " (0 is the first).",
            labels=["feature", "change"],
        )
        for change in self._read.rollouts():
            waves.add_metric([change.key[0], change_label(change.key)], change.current)
        yield waves
