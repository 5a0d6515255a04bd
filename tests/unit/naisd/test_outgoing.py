"""Where the agent's messages go when a session ends: progress lines it never wrote are kept."""

from __future__ import annotations

import asyncio
import contextlib

from fasit_proto.agent.v1 import agent_pb2 as pb
from naisd.outgoing import Outgoing
from naisd.wire import log_message
from naisd.work import LogKind

HELLO = pb.AgentMessage(hello=pb.Hello(environment="nav/prod"))


def _line(text: str) -> pb.AgentMessage:
    return log_message("id-1", LogKind.AGENT, text)


def _result() -> pb.AgentMessage:
    return pb.AgentMessage(result=pb.Result(instruction_id="id-1"))


def _texts(queue: asyncio.Queue[pb.AgentMessage | None]) -> list[str]:
    """The progress lines waiting in a session's queue, in order (the Hello skipped)."""
    texts: list[str] = []
    while not queue.empty():
        message = queue.get_nowait()
        if message is not None and message.WhichOneof("kind") == "progress":
            texts += [line.text for line in message.progress.lines]
    return texts


def test_lines_still_queued_when_a_session_ends_are_sent_on_the_next() -> None:
    outgoing = Outgoing(capacity=10, offline_lines=10)
    outgoing.open(HELLO)
    outgoing.log(_line("one"))
    outgoing.log(_line("two"))

    outgoing.close()
    outgoing.log(_line("three"))  # written once the agent knows

    assert _texts(outgoing.open(HELLO)) == ["one", "two", "three"]


async def test_the_line_whose_write_the_end_interrupted_is_sent_on_the_next() -> None:
    outgoing = Outgoing(capacity=10, offline_lines=10)
    stream = outgoing.drain(outgoing.open(HELLO))
    outgoing.log(_line("in hand"))
    outgoing.log(_line("queued"))
    assert (await anext(stream)).WhichOneof("kind") == "hello"  # written: gRPC asks again
    assert (await anext(stream)).progress.lines[0].text == "in hand"  # its write never ends

    outgoing.close()

    assert _texts(outgoing.open(HELLO)) == ["in hand", "queued"]
    await stream.aclose()


async def test_lines_written_before_a_session_ends_are_not_sent_again() -> None:
    outgoing = Outgoing(capacity=10, offline_lines=10)
    stream = outgoing.drain(outgoing.open(HELLO))
    outgoing.log(_line("written"))
    await anext(stream)  # the Hello
    await anext(stream)  # the line, handed to gRPC
    waiting = asyncio.ensure_future(anext(stream))  # gRPC asks again: that write completed
    await asyncio.sleep(0)

    outgoing.close()

    assert _texts(outgoing.open(HELLO)) == []
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting


def test_results_still_queued_when_a_session_ends_are_not_kept() -> None:
    # A result stays unconfirmed in the result store, which sends it again after Hello.
    outgoing = Outgoing(capacity=10, offline_lines=10)
    outgoing.open(HELLO)
    outgoing.send(_result())

    outgoing.close()
    queue = outgoing.open(HELLO)

    assert [queue.get_nowait(), queue.empty()] == [HELLO, True]
