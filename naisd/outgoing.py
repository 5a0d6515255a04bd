"""Where the agent's messages for the controller go: the live session's stream, or nowhere.

While a session is live (`open` until `close`), messages queue for its request stream, up to
a bound past which they are dropped (results stay unconfirmed and are sent again after the next
reconnect). While none is, messages are dropped, except progress lines (`log`): the newest are
kept and sent first when the next session opens, so a deploy's log survives a cut. `Agent`
(agent.py) owns one; split from agent.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import AsyncIterator

from fasit_proto.agent.v1 import agent_pb2 as pb
from naisd.wire import log_message
from naisd.work import LogKind

__all__ = ["Outgoing", "drain"]

# The agent's logger: these lines are the agent's, as they were before this split.
logger = logging.getLogger("naisd.agent")


class Outgoing:
    """The messages for the controller, for the live session or (progress lines) the next."""

    def __init__(self, capacity: int, offline_lines: int) -> None:
        self._capacity = capacity
        self._queue: asyncio.Queue[pb.AgentMessage | None] | None = None
        self._offline_log: deque[pb.AgentMessage] = deque(maxlen=offline_lines)
        self._offline_dropped: Counter[str] = Counter()

    def open(self, hello: pb.AgentMessage) -> asyncio.Queue[pb.AgentMessage | None]:
        """A new session's queue, `hello` first, then the progress lines kept while offline."""
        queue: asyncio.Queue[pb.AgentMessage | None] = asyncio.Queue()
        queue.put_nowait(hello)
        self._queue = queue
        self._send_offline_log()
        return queue

    def close(self) -> None:
        """The session ended: from now on only progress lines are kept, for the next one."""
        self._queue = None

    def send(self, message: pb.AgentMessage) -> None:
        """Queue `message` for the live session; dropped if none, or if the stream is full."""
        queue = self._queue
        if queue is None:
            return
        if queue.qsize() >= self._capacity:
            logger.warning("message dropped: the controller is not reading the stream")
            return
        queue.put_nowait(message)

    def log(self, message: pb.AgentMessage) -> None:
        """Send a progress line, or keep it for the next session while disconnected."""
        if self._queue is not None:
            self.send(message)
            return
        if len(self._offline_log) == self._offline_log.maxlen:
            self._offline_dropped[self._offline_log[0].progress.instruction_id] += 1
        self._offline_log.append(message)

    def _send_offline_log(self) -> None:
        for instruction_id, count in sorted(self._offline_dropped.items()):
            note = f"{count} log lines written while disconnected were dropped (the oldest)"
            self.send(log_message(instruction_id, LogKind.AGENT, note))
        self._offline_dropped.clear()
        while self._offline_log:
            self.send(self._offline_log.popleft())


async def drain(
    outgoing: asyncio.Queue[pb.AgentMessage | None],
) -> AsyncIterator[pb.AgentMessage]:
    """The request stream: the queue until its None (a half-close)."""
    while (message := await outgoing.get()) is not None:
        yield message
