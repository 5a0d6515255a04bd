"""One agent session's state: its bounded outbox, and what the hub remembers per environment.

The hub (hub.py) creates a Session per accepted stream, registers it as its environment's
live session, and writes what `Outbox.get` returns to the stream. Nothing here does I/O.
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime

import grpc

from fasit.agents.types import AgentStatus, ReleaseState
from fasit_proto.agent.v1 import agent_pb2 as pb

__all__ = [
    "IDLE",
    "MAX_LINES_PER_INSTRUCTION",
    "SENT_MEMORY",
    "EnvironmentRecord",
    "Outbox",
    "Session",
]

SENT_MEMORY = 10_000
"""Instruction ids remembered per environment as sent (the oldest are forgotten first)."""
MAX_LINES_PER_INSTRUCTION = 2_000
"""Log lines the hub passes on per instruction; beyond, one "… N lines dropped" note."""

IDLE = object()
"""What `Outbox.get` returns when nothing came within its timeout (time for a Ping)."""


class Outbox:
    """Messages waiting for one stream, bounded in both lanes.

    - instructions: at most `capacity`; `offer` returns False beyond, and the caller answers
      OUTBOX_FULL. Instructions never displace each other.
    - control (result receipts, pings): at most `control_capacity`; beyond, the oldest is
      dropped. A lost receipt only means the agent sends that result again after its next
      reconnect, and the hub passes each result id on once.

    Control goes first: receipts are small and let the agent forget results.
    """

    def __init__(self, capacity: int, control_capacity: int) -> None:
        self._instructions: deque[pb.ControllerMessage] = deque()
        self._control: deque[pb.ControllerMessage] = deque(maxlen=control_capacity)
        self._capacity = capacity
        self._ready = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        """Instructions waiting."""
        return len(self._instructions)

    def offer(self, message: pb.ControllerMessage) -> bool:
        if self._closed or len(self._instructions) >= self._capacity:
            return False
        self._instructions.append(message)
        self._ready.set()
        return True

    def control(self, message: pb.ControllerMessage) -> None:
        if not self._closed:
            self._control.append(message)
            self._ready.set()

    def close(self, *, drain_control: bool) -> None:
        """Accept no more; drop waiting instructions; keep control ones if `drain_control`."""
        self._closed = True
        self._instructions.clear()
        if not drain_control:
            self._control.clear()
        self._ready.set()

    async def get(self, timeout: float) -> pb.ControllerMessage | object | None:
        """The next message; None once closed and drained; IDLE after `timeout` s of nothing."""
        while True:
            if self._control:
                return self._control.popleft()
            if self._closed:
                return None
            if self._instructions:
                return self._instructions.popleft()
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return IDLE


@dataclass
class EnvironmentRecord:
    """What the hub knows of an environment across its sessions (only token holders get one)."""

    environment: str
    result_memory: int
    session_id: str = ""
    peer: str = ""
    agent_version: str = ""
    connected_at: datetime | None = None
    last_heartbeat: datetime | None = None
    inventory: tuple[ReleaseState, ...] = ()
    inventory_at: datetime | None = None
    inventory_error: str = ""
    _results: OrderedDict[str, None] = field(default_factory=OrderedDict)
    _sent: OrderedDict[str, int] = field(default_factory=OrderedDict)
    """Instruction ids the hub sent to this environment → log lines accepted for each."""
    dropped: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Agent messages dropped, by (kind, reason)."""

    def status(self, live_outbox: int | None) -> AgentStatus:
        """The public view; `live_outbox` is the live session's outbox length, None if offline."""
        assert self.connected_at is not None
        assert self.inventory_at is not None
        return AgentStatus(
            environment=self.environment,
            connected=live_outbox is not None,
            session_id=self.session_id,
            peer=self.peer,
            agent_version=self.agent_version,
            connected_at=self.connected_at,
            last_heartbeat=self.last_heartbeat,
            inventory=self.inventory,
            inventory_at=self.inventory_at,
            inventory_error=self.inventory_error,
            outbox=live_outbox or 0,
        )

    def sent(self, instruction_id: str) -> None:
        """Remember that the hub sent `instruction_id` here (the last `sent_memory` ids)."""
        self._sent.setdefault(instruction_id, 0)
        self._sent.move_to_end(instruction_id)
        while len(self._sent) > SENT_MEMORY:
            self._sent.popitem(last=False)

    def was_sent(self, instruction_id: str) -> bool:
        """Only ids sent to this environment may carry its acks, progress and results."""
        return instruction_id in self._sent

    def take_lines(self, instruction_id: str, count: int) -> int:
        """How many of `count` new lines the instruction may keep (MAX_LINES_PER_INSTRUCTION)."""
        had = self._sent[instruction_id]
        self._sent[instruction_id] = had + count
        return max(0, min(count, MAX_LINES_PER_INSTRUCTION - had))

    def first_time(self, instruction_id: str) -> bool:
        """True the first time a result id is seen (of the last `result_memory` ids)."""
        if instruction_id in self._results:
            self._results.move_to_end(instruction_id)
            return False
        self._results[instruction_id] = None
        if len(self._results) > self.result_memory:
            self._results.popitem(last=False)
        return True


@dataclass(frozen=True, slots=True)
class Ending:
    """How the hub ends a session's stream."""

    code: grpc.StatusCode
    details: str
    replaced: bool = False


class Session:
    """One live stream of one environment."""

    def __init__(
        self,
        session_id: str,
        record: EnvironmentRecord,
        peer: str,
        token_hash: str,
        outbox: Outbox,
    ) -> None:
        self.id = session_id
        self.record = record
        self.peer = peer
        self.token_hash = token_hash
        self.outbox = outbox
        self.ending: Ending | None = None
        self.warned_dropped = False  # a session logs its first dropped message only

    @property
    def environment(self) -> str:
        return self.record.environment

    def end(self, ending: Ending, *, drain_control: bool = False) -> None:
        """End the stream with `ending` (the first ending wins)."""
        if self.ending is None:
            self.ending = ending
        self.outbox.close(drain_control=drain_control)
