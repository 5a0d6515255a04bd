"""A fake `AgentChannel`: the agent hub as the reconciler sees it, with no stream behind it.

It is a fake: nothing reaches an agent. `send` queues an instruction (for an environment marked
online) into `sent`, or answers OFFLINE / OUTBOX_FULL / TOO_LARGE as the spec set it up; what
the agent then says is for the spec to tell, as events (`connected`, `acked`, `finished`, ...).
Specs that drive `Reconciler.run_pass` hand those events to `Reconciler.take`; a spec that runs
`Reconciler.run()` can `push` them onto `events()` instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from fasit.agents import (
    AgentConnected,
    AgentDisconnected,
    AgentEvent,
    AgentResult,
    Delivery,
    Instruction,
    InstructionAcked,
    Outcome,
    ReleaseState,
    ResultReported,
)

__all__ = ["FakeAgents"]

SESSION = "session-1"


class FakeAgents:
    """The hub's sends and events, faked; `clock` dates the events it makes."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.online: set[str] = set()
        self.refusing: dict[str, Delivery] = {}
        """Environments whose sends get this answer (OUTBOX_FULL, TOO_LARGE) while online."""
        self.sent: list[tuple[str, Instruction]] = []
        """Every instruction queued, in order, with its environment."""
        self.refused: list[tuple[str, Instruction, Delivery]] = []
        """Every instruction not queued, with its environment and the answer."""
        self.expected: list[tuple[str, str]] = []
        """(environment, instruction id) the reconciler asked to take after a restart."""
        self._events: asyncio.Queue[AgentEvent] = asyncio.Queue()

    # -- AgentChannel ----------------------------------------------------------------------------

    async def send(self, environment: str, instruction: Instruction) -> Delivery:
        refusal = self.refusing.get(environment)
        if environment not in self.online:
            refusal = Delivery.OFFLINE
        if refusal is not None:
            self.refused.append((environment, instruction, refusal))
            return refusal
        self.sent.append((environment, instruction))
        return Delivery.QUEUED

    def expect(self, environment: str, instruction_id: str) -> None:
        self.expected.append((environment, instruction_id))

    async def events(self) -> AsyncIterator[AgentEvent]:
        while True:
            yield await self._events.get()

    def push(self, event: AgentEvent) -> None:
        """Hand `event` to a reconciler that consumes `events()` (one started with `run()`)."""
        self._events.put_nowait(event)

    # -- what agents say -------------------------------------------------------------------------

    def connected(self, environment: str, *running: ReleaseState) -> AgentConnected:
        """The environment's agent connected (online from now on), running `running`."""
        self.online.add(environment)
        return AgentConnected(
            environment, SESSION, self._clock(), "1.0.0", running, "", "ipv4:127.0.0.1:1"
        )

    def disconnected(self, environment: str) -> AgentDisconnected:
        self.online.discard(environment)
        return AgentDisconnected(environment, SESSION, self._clock(), "the stream ended")

    def acked(self, environment: str, instruction: Instruction) -> InstructionAcked:
        return InstructionAcked(environment, SESSION, self._clock(), instruction.id)

    def finished(
        self, environment: str, instruction: Instruction, outcome: Outcome, error: str = ""
    ) -> ResultReported:
        """The instruction's result; a deployed one reports its release running."""
        now = self._clock()
        release = None
        if outcome is Outcome.DEPLOYED:
            release = ReleaseState(
                instruction.release,
                instruction.namespace,
                instruction.release,
                instruction.version,
                instruction.release_hash,
                "deployed",
                1,
                now,
            )
        result = AgentResult(instruction.id, outcome, error, release, now)
        return ResultReported(environment, SESSION, now, result)
