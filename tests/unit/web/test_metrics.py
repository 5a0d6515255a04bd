"""/metrics: what the agent hub and the status store dropped are counters."""

from __future__ import annotations

from prometheus_client import generate_latest

from fasit.state import SnapshotStore
from fasit.web import ReadSide
from fasit.web.metrics import FasitMetrics
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
