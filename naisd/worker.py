"""The agent's worker: the queue of instructions, run one at a time, and their results.

The session (session.py) hands every instruction to `Worker.receive`, which acknowledges it,
answers a repeat from the result store, or queues it. `Worker.run` carries the queue out
through the executor, independent of the connection: a deploy goes on while the stream is
cut, its log lines are kept by `Outgoing` for the next session, and its result is stored until
the controller confirms it. `Agent` (agent.py) owns one worker; split from agent.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable
from functools import partial

from fasit_proto.agent.v1 import agent_pb2 as pb
from naisd.config import AgentConfig
from naisd.outgoing import Outgoing
from naisd.recovery import interrupted_result, recovered_result
from naisd.reports import read_inventory, send_inventory
from naisd.results import ResultStore
from naisd.wire import log_message, now_ms, result_message, work_of
from naisd.work import Executor, LogKind, Outcome, Work, WorkResult

__all__ = ["Worker"]

# The agent's logger: these lines are the agent's, as they were before this split.
logger = logging.getLogger("naisd.agent")


class Worker:
    """Runs the received instructions one at a time until `stopping` is set."""

    def __init__(
        self,
        executor: Executor,
        store: ResultStore,
        outgoing: Outgoing,
        config: AgentConfig,
        stopping: asyncio.Event,
    ) -> None:
        self.executor = executor
        self._store = store
        self._outgoing = outgoing
        self._config = config
        self._stopping = stopping
        self._pending: deque[Work] = deque()
        self._pending_ids: set[str] = set()
        self._wake = asyncio.Event()
        self.done = asyncio.Event()
        """Set once `run` has ended: the running work is reported, the queue settled."""
        self._tasks: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Look at the queue (and at `stopping`) again."""
        self._wake.set()

    def receive(self, instruction: pb.Instruction) -> None:
        """Acknowledge and queue `instruction`, or answer it from what is known of its id."""
        if self._stopping.is_set():
            return  # not acknowledged: the controller sends it again after we are back
        ack = pb.AgentMessage(ack=pb.Ack(instruction_id=instruction.id))
        stored = self._store.get(instruction.id)
        if stored is not None:
            # Seen before: answer with what happened then, never run it twice.
            self._outgoing.send(ack)
            self._outgoing.send(result_message(stored))
            return
        if instruction.id in self._pending_ids:
            self._outgoing.send(ack)
            return
        try:
            work = work_of(instruction)
        except ValueError as exc:
            logger.warning("malformed instruction refused: %s", exc)
            if instruction.id:
                self._outgoing.send(ack)
                self._complete(WorkResult(instruction.id, Outcome.FAILED, str(exc), None, now_ms()))
            return
        if len(self._pending) >= self._config.queue_capacity:
            logger.warning("instruction not queued: %d are waiting", len(self._pending))
            return
        self._pending.append(work)
        self._pending_ids.add(work.id)
        self._wake.set()
        self._outgoing.send(ack)

    async def recover(self) -> None:
        """Work that was running when naisd last died gets a result, judged by the inventory."""
        interrupted = self._store.interrupted()
        if not interrupted:
            return
        inventory = await read_inventory(self.executor)
        for work in interrupted:
            result = recovered_result(work, inventory)
            logger.warning(
                "instruction interrupted by a restart: %s", result.outcome, extra={"id": work.id}
            )
            self._store.complete(result)

    async def run(self) -> None:
        """Carry out the queue until stopping; what is still queued then is reported stopped."""
        try:
            while True:
                while not self._pending and not self._stopping.is_set():
                    self._wake.clear()
                    await self._wake.wait()
                if self._stopping.is_set():
                    break
                await self._run(self._pending.popleft())
        finally:
            for work in self._pending:
                self._complete(interrupted_result(work, "naisd stopped before it started"))
            self._pending.clear()
            self._pending_ids.clear()
            self.done.set()

    async def close(self) -> None:
        """Cancel the reports still running (an inventory after the last piece of work)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, work: Work) -> None:
        self._store.start(work)
        log = partial(self._log, work.id)
        task = asyncio.create_task(self.executor.apply(work, log))
        stopping = asyncio.create_task(self._stopping.wait())
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not task.done():
            log(LogKind.AGENT, "naisd is stopping: stopping this instruction")
            task.cancel()
            await asyncio.wait({task}, timeout=self._config.work_stop_timeout)
        if not task.done() or task.cancelled():
            result = interrupted_result(work, "naisd stopped while it ran")
        elif (error := task.exception()) is not None:
            result = WorkResult(
                work.id, Outcome.FAILED, f"{self.executor.name} executor: {error!r}", None, now_ms()
            )
        else:
            applied = task.result()
            result = WorkResult(work.id, applied.outcome, applied.error, applied.release, now_ms())
        self._pending_ids.discard(work.id)
        self._complete(result)
        if not self._stopping.is_set():
            self._spawn(send_inventory(self.executor, self._outgoing))

    def _complete(self, result: WorkResult) -> None:
        self._store.complete(result)
        self._outgoing.send(result_message(result))

    def _log(self, instruction_id: str, kind: LogKind, text: str) -> None:
        # Disconnected, the line is kept for the next session: a deploy's log survives a cut.
        self._outgoing.log(log_message(instruction_id, kind, text))

    def _spawn(self, awaitable: Awaitable[None]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
