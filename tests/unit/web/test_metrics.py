"""/metrics: what the agent hub and the status store dropped are counters; the event loop's
lag is a histogram."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import generate_latest

from fasit.state import SnapshotStore
from fasit.web import ReadSide
from fasit.web.metrics import FasitMetrics
from tests.integration.waiting import eventually
from tests.unit.web.support import StaticFleet


def test_dropped_agent_messages_are_a_counter_by_kind_and_reason() -> None:
    dropped = {("progress", "not-sent-here"): 60, ("result", "not-sent-here"): 1}
    read = ReadSide(
        SnapshotStore(), StaticFleet(), lambda: 0, agent_messages_dropped=lambda: dropped
    )
    text = generate_latest(FasitMetrics(read).registry).decode()
    assert 'fasit_agent_messages_dropped_total{kind="progress",reason="not-sent-here"} 60.0' in text
    assert 'fasit_agent_messages_dropped_total{kind="result",reason="not-sent-here"} 1.0' in text


def test_status_writes_dropped_are_a_counter_by_table() -> None:
    read = ReadSide(
        SnapshotStore(), StaticFleet(), lambda: 0, status_writes_dropped=lambda: {"logs": 7}
    )
    text = generate_latest(FasitMetrics(read).registry).decode()
    assert 'fasit_status_writes_dropped_total{table="logs"} 7.0' in text


def _metrics() -> FasitMetrics:
    return FasitMetrics(ReadSide(SnapshotStore(), StaticFleet(), lambda: 0))


def _sample(metrics: FasitMetrics, name: str) -> float:
    return metrics.registry.get_sample_value(name) or 0.0


async def test_loop_lag_is_a_histogram_whose_count_grows_while_the_sampler_runs() -> None:
    metrics = _metrics()
    sampler = asyncio.create_task(metrics.measure_loop_lag(interval=0.01))
    try:
        await eventually(lambda: _sample(metrics, "fasit_event_loop_lag_seconds_count") >= 1, "1")
        first = _sample(metrics, "fasit_event_loop_lag_seconds_count")
        await eventually(
            lambda: _sample(metrics, "fasit_event_loop_lag_seconds_count") > first, "more"
        )
    finally:
        sampler.cancel()

    text = generate_latest(metrics.registry).decode()
    assert 'fasit_event_loop_lag_seconds_bucket{le="0.005"}' in text
    assert 'fasit_event_loop_lag_seconds_bucket{le="+Inf"}' in text


async def test_a_blocked_loop_shows_as_lag_at_least_as_long_as_the_block() -> None:
    metrics = _metrics()
    sampler = asyncio.create_task(metrics.measure_loop_lag(interval=0.01))
    await eventually(lambda: _sample(metrics, "fasit_event_loop_lag_seconds_count") >= 1, "1")

    time.sleep(0.5)  # blocking the loop on purpose: what the metric is there to show
    await eventually(lambda: _sample(metrics, "fasit_event_loop_lag_seconds_count") >= 3, "3")
    sampler.cancel()

    count = _sample(metrics, "fasit_event_loop_lag_seconds_count")
    within_a_quarter = metrics.registry.get_sample_value(
        "fasit_event_loop_lag_seconds_bucket", {"le": "0.25"}
    )
    assert within_a_quarter is not None
    assert within_a_quarter < count  # the wake-up held behind the block came 0.49 s late or more
