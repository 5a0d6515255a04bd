"""Protobuf messages ↔ the hub's plain data, at the edge of the hub and nowhere else.

An agent message the hub cannot use raises BadMessage (a ValueError) naming the field and
what is wrong with it; the hub refuses the stream with INVALID_ARGUMENT.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from fasit.agents.types import AgentResult, Instruction, LogLine, ReleaseState
from fasit.errors import InvalidInput
from fasit_proto.agent.v1 import agent_pb2 as pb
from fasit_proto.agent.v1.vocabulary import log_kind_of, outcome_of, wire_action

__all__ = [
    "EARLIEST",
    "FUTURE_SLACK",
    "MAX_LINE_BYTES",
    "TRUNCATED",
    "BadMessage",
    "from_unix_ms",
    "instruction_message",
    "log_lines",
    "release_state",
    "release_states",
    "result_of",
]


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""No agent reports a time before this: an earlier one is a broken clock or a hostile client."""

FUTURE_SLACK = timedelta(days=1)
"""How far ahead of the hub's clock an agent's time may be (clock skew, not a year 292277026)."""


class BadMessage(InvalidInput, ValueError):
    """An agent message the hub cannot use; the text names the field and what is wrong."""


def from_unix_ms(value: int, field: str, now: datetime | None = None) -> datetime:
    """The time `value` ms after the epoch; BadMessage outside [EARLIEST, now + FUTURE_SLACK].

    Checked before converting: int64's extremes overflow datetime.
    """
    latest = (now or datetime.now(UTC)) + FUTURE_SLACK
    if not _ms(EARLIEST) <= value <= _ms(latest):
        raise BadMessage(
            f"{field} = {value} ms is not a time between 2000-01-01 and a day from now"
        )
    return datetime.fromtimestamp(value / 1000, UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def instruction_message(instruction: Instruction) -> pb.ControllerMessage:
    """The wire form; values as canonical JSON (sorted keys): equal values, equal bytes."""
    values = json.dumps(instruction.values, sort_keys=True, separators=(",", ":"))
    return pb.ControllerMessage(
        instruction=pb.Instruction(
            id=instruction.id,
            release=instruction.release,
            namespace=instruction.namespace,
            chart=pb.ChartReference(ref=instruction.chart, digest=instruction.digest),
            version=instruction.version,
            values_json=values.encode(),
            release_hash=instruction.release_hash,
            timeout_ms=max(1, round(instruction.timeout * 1000)),
            action=wire_action(instruction.action),
        )
    )


def release_state(message: pb.Release) -> ReleaseState:
    return ReleaseState(
        name=message.name,
        namespace=message.namespace,
        chart=message.chart,
        version=message.version,
        release_hash=message.release_hash,
        status=message.status,
        revision=message.revision,
        updated=(
            from_unix_ms(message.updated_unix_ms, f"Release {_shown(message.name)} updated_unix_ms")
            if message.updated_unix_ms
            else None
        ),
    )


def release_states(messages: Iterable[pb.Release]) -> tuple[ReleaseState, ...]:
    return tuple(release_state(m) for m in messages)


def log_lines(message: pb.Progress) -> tuple[LogLine, ...]:
    return tuple(
        LogLine(
            from_unix_ms(line.time_unix_ms, "Progress line time_unix_ms"),
            log_kind_of(line.kind),
            _capped(line.text),
        )
        for line in message.lines
    )


def result_of(message: pb.Result) -> AgentResult | None:
    """The plain result, or None for an outcome this version does not know."""
    outcome = outcome_of(message.outcome)
    if outcome is None:
        return None
    return AgentResult(
        instruction_id=message.instruction_id,
        outcome=outcome,
        error=message.error,
        release=release_state(message.release) if message.HasField("release") else None,
        finished=from_unix_ms(message.finished_unix_ms, "Result finished_unix_ms"),
        interrupted=message.interrupted,
    )


MAX_LINE_BYTES = 4_096
"""A log line's text beyond this many UTF-8 bytes is cut and ends with TRUNCATED."""
TRUNCATED = " … [truncated]"


_SHOWN_CHARS = 64


def _shown(name: str) -> str:
    """An agent's name for something, quoted and cut short: it goes into a status detail (gRPC
    refuses metadata past 8 KiB) and a log line."""
    return repr(name[:_SHOWN_CHARS]) + ("…" if len(name) > _SHOWN_CHARS else "")


def _capped(text: str) -> str:
    data = text.encode()
    if len(data) <= MAX_LINE_BYTES:
        return text
    return data[:MAX_LINE_BYTES].decode(errors="ignore") + TRUNCATED
