"""Fuzzing the agent wire: a hostile agent holding nav/dev's token sends generated messages
(forged instruction ids, nav/prod's ids, huge strings, times from anywhere in int64) through a
real hub over real gRPC.

The hub never crashes and never writes anything onto nav/prod: each message is handled as a
small model of the protocol says (docs/agent-protocol.md): an id not sent to nav/dev is dropped
and counted, a time outside 2000 … now + 1 day or a second Hello ends the stream with
INVALID_ARGUMENT, a message past the size limit ends it with RESOURCE_EXHAUSTED; otherwise the
session goes on. nav/prod's session is served throughout. Each example is a real round trip
(a hub of its own), so the count is small.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from fasit.agents import (
    AgentHub,
    HeartbeatReceived,
    HubConfig,
    InstructionAcked,
    ProgressReported,
    ResultReported,
    TokenFile,
    write_token_file,
)
from fasit.agents.wire import EARLIEST, FUTURE_SLACK
from fasit_proto.agent.v1 import MAX_MESSAGE_BYTES
from fasit_proto.agent.v1 import agent_pb2 as pb
from tests.fuzzing import examples
from tests.integration.agents.support import EventLog, RawSession, hello, make_instruction
from tests.integration.conftest import TOKENS
from tests.integration.waiting import DEADLINE

HOSTILE, VICTIM = "nav/dev", "nav/prod"
OWN = make_instruction("api", environment=HOSTILE)
FOREIGN = make_instruction("web", environment=VICTIM)
GOOD_MS = 1_700_000_000_000
INT64 = 2**63 - 1

_ids = st.one_of(
    st.sampled_from((OWN.id, FOREIGN.id, "", OWN.id + "x", FOREIGN.id.replace(VICTIM, HOSTILE))),
    st.text(max_size=30),
)
_times = st.one_of(st.just(GOOD_MS), st.integers(-INT64 - 1, INT64))


class _Huge(str):
    """A long text that prints short: Hypothesis shows a failing example's arguments."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"'é' * {len(self):,}"


# Mostly short; sometimes past the 4 KiB line cap, or past the 4 MiB message limit.
_texts = st.one_of(
    st.text(max_size=20),
    st.sampled_from((5_000, 300_000, MAX_MESSAGE_BYTES + 1)).map(lambda n: _Huge("é" * (n // 2))),
)
_releases = st.builds(
    pb.Release,
    name=_texts,
    namespace=st.text(max_size=10),
    status=st.text(max_size=10),
    revision=st.integers(0, 2**32 - 1),
    updated_unix_ms=st.one_of(st.just(0), _times),
)
_lines = st.builds(pb.LogLine, time_unix_ms=_times, kind=st.integers(0, 9), text=_texts)
_messages = st.one_of(
    st.builds(lambda i: pb.AgentMessage(ack=pb.Ack(instruction_id=i)), _ids),
    st.builds(
        lambda i, lines: pb.AgentMessage(progress=pb.Progress(instruction_id=i, lines=lines)),
        _ids,
        st.lists(_lines, max_size=3),
    ),
    st.builds(
        lambda i, outcome, error, release, finished: pb.AgentMessage(
            result=pb.Result(
                instruction_id=i,
                outcome=outcome,
                error=error,
                release=release,
                finished_unix_ms=finished,
            )
        ),
        _ids,
        st.integers(0, 5),
        _texts,
        st.none() | _releases,
        _times,
    ),
    st.builds(
        lambda releases, error: pb.AgentMessage(
            inventory=pb.Inventory(releases=releases, inventory_error=error)
        ),
        st.lists(_releases, max_size=3),
        st.text(max_size=20),
    ),
    st.just(pb.AgentMessage(heartbeat=pb.Heartbeat())),
    st.sampled_from((hello(HOSTILE), hello(VICTIM))),
)


@dataclass
class _Expected:
    """What the hub must do with a sequence of messages from nav/dev, per the protocol."""

    ending: grpc.StatusCode | None = None
    followed: bool = False
    """Whether the agent went on writing after the message that ends the stream."""
    dropped: Counter[tuple[str, str]] = field(default_factory=Counter)


def _time_ok(value: int, now: datetime) -> bool:
    return EARLIEST.timestamp() * 1000 <= value <= (now + FUTURE_SLACK).timestamp() * 1000


def _expected(messages: list[pb.AgentMessage]) -> _Expected:
    now, expected = datetime.now(UTC), _Expected()
    for index, message in enumerate(messages):
        expected.followed = index < len(messages) - 1
        kind = message.WhichOneof("kind")
        assert kind is not None
        if message.ByteSize() > MAX_MESSAGE_BYTES:
            expected.ending = grpc.StatusCode.RESOURCE_EXHAUSTED
            return expected
        if kind == "hello":
            expected.ending = grpc.StatusCode.INVALID_ARGUMENT
            return expected
        if kind in {"heartbeat"} or (kind == "result" and message.result.outcome not in {1, 2, 3}):
            continue
        body = getattr(message, kind)
        if not all(_time_ok(time, now) for time in _times_checked(message)):
            expected.dropped[(kind, "refused")] += 1
            expected.ending = grpc.StatusCode.INVALID_ARGUMENT
            return expected
        if kind != "inventory" and body.instruction_id != OWN.id:
            expected.dropped[(kind, "not-sent-here")] += 1
    return expected


def _times_checked(message: pb.AgentMessage) -> list[int]:
    """The times the hub checks in `message` (an unset release time is no time)."""
    releases: list[pb.Release] = list(message.inventory.releases)
    times: list[int] = [line.time_unix_ms for line in message.progress.lines]
    if message.HasField("result"):
        times.append(message.result.finished_unix_ms)
        if message.result.HasField("release"):
            releases.append(message.result.release)
    return times + [release.updated_unix_ms for release in releases if release.updated_unix_ms]


def _is_borderline(messages: list[pb.AgentMessage]) -> bool:
    """A time within minutes of the future bound: the model's clock and the hub's may differ."""
    latest = (datetime.now(UTC) + FUTURE_SLACK).timestamp() * 1000
    times = [time for message in messages for time in _times_checked(message)]
    return any(abs(time - latest) < 10 * 60_000 for time in times)


async def _heartbeat_seen(events: EventLog, session: RawSession, environment: str) -> None:
    """Send a heartbeat and wait for it: events keep arrival order, so everything the session
    sent before it has been handled."""
    before = len(events.of(HeartbeatReceived, environment))
    session.send(pb.AgentMessage(heartbeat=pb.Heartbeat()))
    await events.wait_for(
        HeartbeatReceived,
        f"{environment}'s heartbeat",
        lambda _: len(events.of(HeartbeatReceived, environment)) > before,
    )


class _Errors(logging.Handler):
    """ERROR records of the hub: the hub saying it failed (a bug of ours, not the agent's)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def _run(token_file: Path, messages: list[pb.AgentMessage]) -> None:
    expected, errors = _expected(messages), _Errors()
    logging.getLogger("fasit.agents").addHandler(errors)
    try:
        await _exchange(token_file, messages, expected)
    finally:
        logging.getLogger("fasit.agents").removeHandler(errors)
    assert errors.messages == []


async def _exchange(token_file: Path, messages: list[pb.AgentMessage], expected: _Expected) -> None:
    config = HubConfig(hello_timeout=2.0, token_poll_interval=0.05, stop_grace=0.5)
    async with AgentHub(TokenFile(token_file), config) as hub, EventLog(hub) as events:
        victim = RawSession(hub.address, token=TOKENS[VICTIM], first=hello(VICTIM))
        hostile = RawSession(hub.address, token=TOKENS[HOSTILE], first=hello(HOSTILE))
        try:
            for session in (victim, hostile):
                await session.receive()  # the Welcome
            await hub.send(VICTIM, FOREIGN)
            await hub.send(HOSTILE, OWN)
            for message in messages:
                hostile.send(message)
            if expected.ending is None:
                await _heartbeat_seen(events, hostile, HOSTILE)
                assert HOSTILE in hub.connected()
            else:
                code, details = await asyncio.wait_for(hostile.ended_with(), DEADLINE)
                # Known, open: when the agent goes on writing after the message the hub ends
                # the stream for (with an instruction queued), gRPC core sometimes ends it
                # INTERNAL instead of with the hub's status (docs/security.md, Open).
                if not (expected.followed and details == "Internal error from Core"):
                    assert code == expected.ending, details
            await _heartbeat_seen(events, victim, VICTIM)  # the hub still serves nav/prod

            assert hub.dropped() == expected.dropped
            for event in events.events:
                if isinstance(event, InstructionAcked | ProgressReported):
                    assert (event.environment, event.instruction_id) == (HOSTILE, OWN.id)
                elif isinstance(event, ResultReported):
                    assert (event.environment, event.result.instruction_id) == (HOSTILE, OWN.id)
            assert {e.environment for e in events.events if not _victims_own(e)} <= {HOSTILE}
        finally:
            await victim.close()
            await hostile.close()


def _victims_own(event: object) -> bool:
    """What nav/prod's own session causes: its connection and heartbeats."""
    return getattr(event, "environment", None) == VICTIM and type(event).__name__ in {
        "AgentConnected",
        "HeartbeatReceived",
        "AgentDisconnected",
    }


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for every example: gRPC's poller outlives a loop that asyncio.run closes."""
    with asyncio.Runner() as running:
        yield running


@pytest.fixture(scope="module")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tokens") / "agent-tokens.yaml"
    write_token_file(path, TOKENS)
    return path


@settings(max_examples=examples(60))
@given(st.lists(_messages, min_size=1, max_size=5))
def test_a_hostile_agent_is_answered_as_the_protocol_says_and_never_reaches_another_environment(
    runner: asyncio.Runner, token_file: Path, messages: list[pb.AgentMessage]
) -> None:
    assume(not _is_borderline(messages))
    expected = _expected(messages)
    event(f"ends {expected.ending.name}" if expected.ending else "goes on")
    event(f"drops {sum(expected.dropped.values())}")
    runner.run(_run(token_file, messages))
