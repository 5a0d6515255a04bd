"""The agent: one session at a time with the controller, one piece of work at a time.

`Agent.run()` dials the controller, says Hello (with its inventory, then every result the
controller has not confirmed), and serves the stream until it ends; then it waits a backoff
and dials again, until `stop()`. Work runs in its own task, independent of the connection: a
deploy goes on while the stream is cut, and its result is sent after the reconnect. The same
class runs as `naisd` (cli.py) and in-process (many agents in one event loop, for demos). Its
timings are config.py's `AgentConfig`; where its messages go (the live stream, or kept for the
next one) is outgoing.py's `Outgoing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial

import grpc

from fasit_proto.agent.v1 import (
    AUTHORIZATION_METADATA,
    BEARER_PREFIX,
    PROTOCOL_VERSION,
    agent_pb2_grpc,
)
from fasit_proto.agent.v1 import agent_pb2 as pb
from naisd import __version__
from naisd.backoff import Backoff, retry_after
from naisd.config import AgentConfig
from naisd.outgoing import Outgoing, drain
from naisd.recovery import interrupted_result, recovered_result
from naisd.results import ResultStore
from naisd.wire import (
    heartbeat_message,
    inventory_message,
    log_message,
    now_ms,
    release_message,
    result_message,
    work_of,
)
from naisd.work import Executor, Inventory, LogKind, Outcome, Work, WorkResult

__all__ = ["Agent", "AgentConfig"]

logger = logging.getLogger(__name__)

_AUTH_CODES = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


class Agent:
    """The agent of one environment. `await agent.run()` until `agent.stop()`."""

    def __init__(
        self,
        target: str,
        environment: str,
        token: Callable[[], str],
        executor: Executor,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        store: ResultStore | None = None,
        config: AgentConfig | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.target = target
        self.environment = environment
        self.executor = executor
        self._token = token
        self._credentials = credentials
        self._store = store or ResultStore()
        self._config = config or AgentConfig()
        self._backoff = Backoff(self._config.backoff_initial, self._config.backoff_maximum, rng=rng)
        self._pending: deque[Work] = deque()
        self._pending_ids: set[str] = set()
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._worker_done = asyncio.Event()
        self._outgoing = Outgoing(self._config.outgoing_capacity, self._config.offline_log_lines)
        self._deadline: asyncio.Timeout | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.session_id = ""
        """The controller's id of the live session; "" while not connected."""

    @property
    def connected(self) -> bool:
        """Whether a session is live (welcomed by the controller)."""
        return bool(self.session_id)

    def stop(self) -> None:
        """Stop: running work is stopped and reported, not awaited; `run()` then returns."""
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        await self._recover()
        worker = asyncio.create_task(self._work_loop())
        try:
            while not self._stop.is_set():
                asked = 0.0
                try:
                    asked = await self._session()
                except Exception:  # a bug in one session must not end the agent: log, retry
                    logger.exception("session failed unexpectedly")
                if self._stop.is_set():
                    break
                if not self.executor.is_healthy():
                    # A hung agent (the fake executor's FASIT_FAKE_UNHEALTHY): it does not
                    # come back once the controller has given up on it.
                    logger.warning("unhealthy: not reconnecting", extra={"controller": self.target})
                    await self._stop.wait()
                    break
                delay = max(self._backoff.next_delay(), asked)
                logger.info("reconnecting in %.1f s", delay, extra={"controller": self.target})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
        finally:
            self.stop()
            await worker
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- one session ----------------------------------------------------------------------------

    async def _session(self) -> float:
        """One session; returns the seconds the controller asked to wait before the next."""
        try:
            token = self._token()
        except (OSError, ValueError) as exc:
            logger.error("cannot read the token: %s", exc)
            return 0.0
        inventory = await self._inventory()
        hello = pb.Hello(
            environment=self.environment,
            agent_version=__version__,
            protocol_version=PROTOCOL_VERSION,
            releases=[release_message(r) for r in inventory.releases],
            inventory_error=inventory.error,
        )
        # In the same step as the queue goes live: a result completing now is sent exactly
        # once, either from this list or by _complete.
        outgoing = self._outgoing.open(pb.AgentMessage(hello=hello))
        for result in self._store.unreported():
            self._outgoing.send(result_message(result))
        timers: list[asyncio.Task[None]] = []
        async with self._channel() as channel:
            call = agent_pb2_grpc.AgentServiceStub(channel).Connect(
                drain(outgoing), metadata=((AUTHORIZATION_METADATA, BEARER_PREFIX + token),)
            )
            closer = asyncio.create_task(self._close_on_stop(outgoing))
            try:
                async with asyncio.timeout(None) as self._deadline:
                    async for message in call:
                        self._handle(message, timers)
                logger.info("the controller ended the session", extra={"controller": self.target})
            except grpc.aio.AioRpcError as exc:
                self._log_end(exc)
                return retry_after(exc.trailing_metadata())
            except TimeoutError:
                logger.warning("stopped before the controller confirmed every result")
            finally:
                self._outgoing.close()
                self._deadline, self.session_id = None, ""
                for task in [closer, *timers]:
                    task.cancel()
        return 0.0

    def _handle(self, message: pb.ControllerMessage, timers: list[asyncio.Task[None]]) -> None:
        kind = message.WhichOneof("kind")
        if kind == "welcome":
            self.session_id = message.welcome.session_id
            self._backoff.reset()
            interval = (
                message.welcome.heartbeat_interval_ms / 1000 or self._config.heartbeat_interval
            )
            timers.append(asyncio.create_task(self._every(interval, self._heartbeat, now=True)))
            every = self._config.inventory_interval  # Hello carried one: the next is due later
            timers.append(asyncio.create_task(self._every(every, self._send_inventory, now=False)))
            logger.info("connected", extra={"controller": self.target, "session": self.session_id})
        elif kind == "instruction":
            self._receive(message.instruction)
        elif kind == "ping":
            self._heartbeat_now()
        elif kind == "result_received":
            self._store.confirm(message.result_received.instruction_id)

    def _receive(self, instruction: pb.Instruction) -> None:
        if self._stop.is_set():
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

    async def _close_on_stop(self, outgoing: asyncio.Queue[pb.AgentMessage | None]) -> None:
        """On stop: once the running work is reported, half-close and let the controller
        confirm; give up after flush_timeout. (Closing the channel at once would lose the
        last messages: the controller would see the call cancelled.)"""
        await self._stop.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._worker_done.wait(), self._config.work_stop_timeout)
        outgoing.put_nowait(None)
        if self._deadline is not None:
            loop = asyncio.get_running_loop()
            self._deadline.reschedule(loop.time() + self._config.flush_timeout)

    def _log_end(self, exc: grpc.aio.AioRpcError) -> None:
        code, details = exc.code(), exc.details()
        if code in _AUTH_CODES:
            logger.error(
                "authentication failed: %s: %s (retrying with backoff; the token may be rotated)",
                code.name,
                details,
            )
        else:
            logger.warning("session ended: %s: %s", code.name, details)

    def _channel(self) -> grpc.aio.Channel:
        options = self._config.channel_options()
        if self._credentials is None:
            return grpc.aio.insecure_channel(self.target, options=options)
        return grpc.aio.secure_channel(self.target, self._credentials, options=options)

    # -- work -----------------------------------------------------------------------------------

    async def _work_loop(self) -> None:
        try:
            while True:
                while not self._pending and not self._stop.is_set():
                    self._wake.clear()
                    await self._wake.wait()
                if self._stop.is_set():
                    break
                await self._run(self._pending.popleft())
        finally:
            for work in self._pending:
                self._complete(interrupted_result(work, "naisd stopped before it started"))
            self._pending.clear()
            self._pending_ids.clear()
            self._worker_done.set()

    async def _run(self, work: Work) -> None:
        self._store.start(work)
        log = partial(self._log, work.id)
        task = asyncio.create_task(self.executor.apply(work, log))
        stopping = asyncio.create_task(self._stop.wait())
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
        if not self._stop.is_set():
            self._spawn(self._send_inventory())

    def _complete(self, result: WorkResult) -> None:
        self._store.complete(result)
        self._outgoing.send(result_message(result))

    def _log(self, instruction_id: str, kind: LogKind, text: str) -> None:
        # Disconnected, the line is kept for the next session: a deploy's log survives a cut.
        self._outgoing.log(log_message(instruction_id, kind, text))

    async def _recover(self) -> None:
        """Work that was running when naisd last died gets a result, judged by the inventory."""
        interrupted = self._store.interrupted()
        if not interrupted:
            return
        inventory = await self._inventory()
        for work in interrupted:
            result = recovered_result(work, inventory)
            logger.warning(
                "instruction interrupted by a restart: %s", result.outcome, extra={"id": work.id}
            )
            self._store.complete(result)

    # -- reports --------------------------------------------------------------------------------

    async def _inventory(self) -> Inventory:
        try:
            return await self.executor.inventory()
        except Exception as exc:  # any executor failure is reported, never fatal
            logger.warning("cannot read the inventory: %r", exc)
            return Inventory((), error=f"{self.executor.name} inventory: {exc!r}")

    async def _send_inventory(self) -> None:
        self._outgoing.send(inventory_message(await self._inventory()))

    async def _heartbeat(self) -> None:
        self._heartbeat_now()

    def _heartbeat_now(self) -> None:
        if self.executor.is_healthy():
            self._outgoing.send(heartbeat_message())

    async def _every(
        self, interval: float, action: Callable[[], Awaitable[None]], *, now: bool
    ) -> None:
        if not now:
            await asyncio.sleep(interval)
        while True:
            await action()
            await asyncio.sleep(interval)

    def _spawn(self, awaitable: Awaitable[None]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
