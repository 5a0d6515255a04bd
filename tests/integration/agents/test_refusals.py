"""A message the hub cannot use ends its stream with INVALID_ARGUMENT, never a silent session.

Before, a time that overflowed datetime killed the session's reader: the session stayed
connected and nobody read its heartbeats or results again. Each test waits a bounded time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from fasit.agents import AgentHub
from fasit_proto.agent.v1 import AUTHORIZATION_METADATA, BEARER_PREFIX
from fasit_proto.agent.v1 import agent_pb2 as pb
from tests.integration.agents.conftest import TOKENS
from tests.integration.agents.support import RawSession, hello
from tests.integration.waiting import DEADLINE, eventually

INT64_MAX = 2**63 - 1
TWO_DAYS_AHEAD = int((datetime.now(UTC) + timedelta(days=2)).timestamp() * 1000)
BEFORE_2000 = int(datetime(1999, 12, 31, tzinfo=UTC).timestamp() * 1000)


def _progress(time_unix_ms: int) -> pb.AgentMessage:
    line = pb.LogLine(time_unix_ms=time_unix_ms, text="applying")
    return pb.AgentMessage(progress=pb.Progress(instruction_id="i", lines=[line]))


def _inventory(updated_unix_ms: int) -> pb.AgentMessage:
    release = pb.Release(name="web", namespace="apps", updated_unix_ms=updated_unix_ms)
    return pb.AgentMessage(inventory=pb.Inventory(releases=[release]))


def _result(finished_unix_ms: int) -> pb.AgentMessage:
    return pb.AgentMessage(
        result=pb.Result(
            instruction_id="i", outcome=pb.OUTCOME_DEPLOYED, finished_unix_ms=finished_unix_ms
        )
    )


async def _refused(hub: AgentHub, message: pb.AgentMessage) -> tuple[grpc.StatusCode, str]:
    """Open a session, send `message`, and return how the hub ended the stream."""
    session = RawSession(hub.address, token=TOKENS["nav/prod"], first=hello())
    try:
        await session.receive()  # the Welcome
        assert hub.connected() == {"nav/prod"}
        session.send(message)
        return await asyncio.wait_for(session.ended_with(), DEADLINE)
    finally:
        await session.close()


async def _hello_refused(hub: AgentHub) -> tuple[grpc.StatusCode, str]:
    """Open a session whose Hello carries an overflowing time; how the hub ended the stream."""
    first = hello()
    first.hello.releases.append(pb.Release(name="web", updated_unix_ms=INT64_MAX))
    session = RawSession(hub.address, token=TOKENS["nav/prod"], first=first)
    try:
        return await asyncio.wait_for(session.ended_with(), DEADLINE)
    finally:
        await session.close()


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (_progress(INT64_MAX), "Progress line time_unix_ms"),
        (_inventory(INT64_MAX), "Release 'web' updated_unix_ms"),
        (_result(INT64_MAX), "Result finished_unix_ms"),
    ],
    ids=["progress", "inventory", "result"],
)
async def test_a_time_that_overflows_ends_the_stream_and_the_session(
    hub: AgentHub, message: pb.AgentMessage, field: str
) -> None:
    code, details = await _refused(hub, message)

    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert f"{field} = {INT64_MAX} ms is not a time between 2000-01-01" in details
    await eventually(lambda: not hub.connected(), "the session to be unregistered")
    status = hub.status("nav/prod")
    assert status is not None
    assert not status.connected


@pytest.mark.parametrize("when", [BEFORE_2000, TWO_DAYS_AHEAD], ids=["before-2000", "future"])
async def test_a_time_outside_the_sane_range_is_refused(hub: AgentHub, when: int) -> None:
    code, details = await _refused(hub, _progress(when))

    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert details.startswith(f"refused a progress message: Progress line time_unix_ms = {when}")


async def test_a_refusal_quotes_a_long_release_name_cut_short(hub: AgentHub) -> None:
    # The whole name used to be the status detail: past gRPC's 8 KiB metadata limit the agent
    # saw RESOURCE_EXHAUSTED instead of why, and the log line held megabytes.
    release = pb.Release(name="é" * 100_000, updated_unix_ms=INT64_MAX)

    code, details = await _refused(hub, pb.AgentMessage(inventory=pb.Inventory(releases=[release])))

    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert details.startswith(f"refused a inventory message: Release '{'é' * 64}'… updated_unix_ms")


async def test_a_refused_message_is_logged_with_its_environment(
    hub: AgentHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="fasit.agents")

    await _refused(hub, _progress(INT64_MAX))

    refusals = [r for r in caplog.records if r.getMessage().startswith("agent message refused")]
    assert [(r.levelno, r.getMessage()) for r in refusals] == [
        (
            logging.WARNING,
            "agent message refused from nav/prod: refused a progress message: "
            f"Progress line time_unix_ms = {INT64_MAX} ms is not a time between 2000-01-01 "
            "and a day from now",
        )
    ]


async def test_bytes_that_are_not_an_agent_message_end_the_stream_and_the_session(
    hub: AgentHub,
) -> None:
    channel = grpc.aio.insecure_channel(hub.address)
    # Sends bytes as they are, so a client can write what no protobuf library would.
    connect = channel.stream_stream(
        "/fasit.agent.v1.AgentService/Connect",
        request_serializer=bytes,
        response_deserializer=pb.ControllerMessage.FromString,
    )
    call = connect(metadata=((AUTHORIZATION_METADATA, BEARER_PREFIX + TOKENS["nav/prod"]),))
    try:
        await call.write(hello().SerializeToString())
        await call.read()  # the Welcome
        await call.write(b"\xff\xff\xff\xff")
        with contextlib.suppress(grpc.aio.AioRpcError):
            while await asyncio.wait_for(call.read(), DEADLINE) is not grpc.aio.EOF:
                pass
        code, details = await call.code(), await call.details()
    finally:
        await channel.close()

    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert details.startswith("refused a malformed message: Error parsing message")
    assert hub.dropped()[("malformed", "refused")] == 1
    await eventually(lambda: not hub.connected(), "the session to be unregistered")


async def test_a_refused_message_is_counted_by_kind(hub: AgentHub) -> None:
    await _refused(hub, _progress(INT64_MAX))

    assert hub.dropped()[("progress", "refused")] == 1


async def test_a_refused_hello_is_counted(hub: AgentHub) -> None:
    await _hello_refused(hub)

    assert hub.dropped()[("hello", "refused")] == 1


async def test_a_hello_with_an_overflowing_time_is_refused(hub: AgentHub) -> None:
    code, details = await _hello_refused(hub)

    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert details.startswith("refused a hello message: Release 'web' updated_unix_ms")
    assert hub.status("nav/prod") is None


async def test_a_failure_of_the_hubs_own_ends_the_session_with_internal(
    hub: AgentHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(message: pb.Progress) -> None:
        raise RuntimeError("a bug in the hub")

    # Stands in for any bug in the reader: the session must not outlive its reader.
    monkeypatch.setattr("fasit.agents.reader.log_lines", broken)

    code, details = await _refused(hub, _progress(INT64_MAX))

    assert code is grpc.StatusCode.INTERNAL
    assert details == "the controller failed on a progress message: a bug in the hub"
    await eventually(lambda: not hub.connected(), "the session to be unregistered")
