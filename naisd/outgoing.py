"""Where the agent's messages for the controller go: the live session's stream, or nowhere.

While a session is live (`open` until `close`), messages queue for its request stream, up to
a bound past which they are dropped (results stay unconfirmed and are sent again after the next
reconnect). While none is, messages are dropped, except progress lines (`log`): the newest are
kept and sent first when the next session opens, so a deploy's log survives a cut. The agent
learns of a cut only when its call ends, after the controller stopped reading: progress lines
queued by then, and the one whose write the end interrupted, are kept the same way (`close`).
`Agent` (agent.py) owns one; split from agent.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import AsyncGenerator

from fasit_proto.agent.v1 import agent_pb2 as pb
from naisd.wire import log_message
from naisd.work import LogKind

__all__ = ["Outgoing"]

# The agent's logger: these lines are the agent's, as they were before this split.
logger = logging.getLogger("naisd.agent")


class Outgoing:
    """The messages for the controller, for the live session or (progress lines) the next."""

    def __init__(self, capacity: int, offline_lines: int) -> None:
        self._capacity = capacity
        self._queue: asyncio.Queue[pb.AgentMessage | None] | None = None
        # Taken from the live queue by the stream, its write not yet completed.
        self._in_hand: pb.AgentMessage | None = None
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
        """The session ended: from now on only progress lines are kept, for the next one.

        Those the stream never wrote are kept too, oldest first: the controller cannot have
        them. (Results need not be: they stay unconfirmed and are sent again after Hello.)
        """
        queue, self._queue = self._queue, None
        if queue is None:
            return
        unwritten = [] if self._in_hand is None else [self._in_hand]
        self._in_hand = None
        while not queue.empty():
            if (message := queue.get_nowait()) is not None:
                unwritten.append(message)
        for message in unwritten:
            if message.WhichOneof("kind") == "progress":
                self._keep(message)

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
        self._keep(message)

    async def drain(
        self, queue: asyncio.Queue[pb.AgentMessage | None]
    ) -> AsyncGenerator[pb.AgentMessage, None]:
        """The request stream of the session `queue` is from: the queue until its None (a
        half-close). gRPC asks for the next message once the last one's write completed, so
        until then that one is in hand: lost if the call ends first, and kept by `close`."""
        while (message := await queue.get()) is not None:
            live = queue is self._queue
            if live:
                self._in_hand = message
            yield message
            if live and queue is self._queue:
                self._in_hand = None

    def _keep(self, message: pb.AgentMessage) -> None:
        """Keep a progress line for the next session; the oldest go past the bound."""
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
