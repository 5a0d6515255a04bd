"""The agent's stream with the controller: one dial, Hello, serve until it ends.

`Session.serve()` runs one session: Hello (with the inventory, then every result the controller
has not confirmed), then the controller's messages until the stream ends, handing instructions
to the worker (worker.py). Where the stream is, is `SessionState`, moved only by
`next_state` (a pure table, tested without I/O). `Agent` (agent.py) calls `serve` again after
a backoff; a session never reconnects by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum

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
from naisd.controllers import Controllers
from naisd.outgoing import Outgoing
from naisd.reports import read_inventory, send_heartbeat, send_inventory
from naisd.results import ResultStore
from naisd.wire import release_message, result_message
from naisd.worker import Worker

__all__ = ["Session", "SessionEvent", "SessionState", "next_state"]

# The agent's logger: these lines are the agent's, as they were before this split.
logger = logging.getLogger("naisd.agent")

_AUTH_CODES = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


class SessionState(StrEnum):
    """Where the stream with the controller is."""

    DISCONNECTED = "disconnected"
    """No stream: before the first dial, between sessions (the backoff), after the last."""
    HELLO_SENT = "hello-sent"
    """Dialed, Hello first on the stream; the controller has not welcomed the agent yet."""
    SERVING = "serving"
    """Welcomed: instructions are taken, heartbeats and inventories sent on their timers."""
    DRAINING = "draining"
    """Stopping: the stream is half-closed, the controller confirms the last results until
    `flush_timeout`."""


class SessionEvent(StrEnum):
    """What moves a session from one state to the next."""

    DIALED = "dialed"
    WELCOMED = "welcomed"
    HALF_CLOSED = "half-closed"
    ENDED = "ended"


_S, _E = SessionState, SessionEvent
_TRANSITIONS: dict[tuple[SessionState, SessionEvent], SessionState] = {
    (_S.DISCONNECTED, _E.DIALED): _S.HELLO_SENT,
    (_S.HELLO_SENT, _E.WELCOMED): _S.SERVING,
    # A second Welcome names a new session id; the agent serves on.
    (_S.SERVING, _E.WELCOMED): _S.SERVING,
    (_S.HELLO_SENT, _E.HALF_CLOSED): _S.DRAINING,
    (_S.SERVING, _E.HALF_CLOSED): _S.DRAINING,
    # Stopped before the Welcome arrived: it is recorded, the agent still drains.
    (_S.DRAINING, _E.WELCOMED): _S.DRAINING,
    (_S.HELLO_SENT, _E.ENDED): _S.DISCONNECTED,
    (_S.SERVING, _E.ENDED): _S.DISCONNECTED,
    (_S.DRAINING, _E.ENDED): _S.DISCONNECTED,
}


def next_state(state: SessionState, event: SessionEvent) -> SessionState:
    """The state after `event`; an event the state cannot take is a bug (RuntimeError).

    >>> next_state(SessionState.HELLO_SENT, SessionEvent.WELCOMED)
    <SessionState.SERVING: 'serving'>
    """
    try:
        return _TRANSITIONS[state, event]
    except KeyError:
        raise RuntimeError(f"a session {state} cannot be {event}") from None


class Session:
    """The agent's stream with one controller; `serve()` runs one session at a time."""

    def __init__(
        self,
        controllers: Controllers,
        environment: str,
        token: Callable[[], str],
        worker: Worker,
        *,
        outgoing: Outgoing,
        store: ResultStore,
        config: AgentConfig,
        backoff: Backoff,
        stopping: asyncio.Event,
        credentials: grpc.ChannelCredentials | None = None,
    ) -> None:
        self.controllers = controllers
        self.environment = environment
        self._token = token
        self._worker = worker
        self._executor = worker.executor
        self._outgoing = outgoing
        self._store = store
        self._config = config
        self._backoff = backoff
        self._stopping = stopping
        self._credentials = credentials
        self._deadline: asyncio.Timeout | None = None
        self.state = SessionState.DISCONNECTED
        self.session_id = ""
        """The controller's id of the session, from its Welcome; "" until then."""
        self.welcomed = False
        """Whether the latest session was welcomed (served, not refused or redirected)."""

    @property
    def target(self) -> str:
        """The address of the session under way (or the last one)."""
        return self.controllers.current

    async def serve(self) -> float:
        """One session; returns the seconds the controller asked to wait before the next."""
        try:
            token = self._token()
        except (OSError, ValueError) as exc:
            logger.error("cannot read the token: %s", exc)
            return 0.0
        inventory = await read_inventory(self._executor)
        hello = pb.Hello(
            environment=self.environment,
            agent_version=__version__,
            protocol_version=PROTOCOL_VERSION,
            releases=[release_message(r) for r in inventory.releases],
            inventory_error=inventory.error,
        )
        # In the same step as the queue goes live: a result completing now is sent exactly
        # once, either from this list or by the worker.
        outgoing = self._outgoing.open(pb.AgentMessage(hello=hello))
        self._move(SessionEvent.DIALED)
        self.welcomed = False
        try:
            for result in self._store.unreported():
                self._outgoing.send(result_message(result))
            return await self._stream(token, outgoing)
        finally:
            if self.state is not SessionState.DISCONNECTED:
                self._end()  # the channel could not even be opened

    async def _stream(self, token: str, outgoing: asyncio.Queue[pb.AgentMessage | None]) -> float:
        timers: list[asyncio.Task[None]] = []
        async with self._channel() as channel:
            call = agent_pb2_grpc.AgentServiceStub(channel).Connect(
                self._outgoing.drain(outgoing),
                metadata=((AUTHORIZATION_METADATA, BEARER_PREFIX + token),),
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
                self._end()
                for task in [closer, *timers]:
                    task.cancel()
        return 0.0

    def _end(self) -> None:
        """The session is over: from now on progress lines are kept for the next one."""
        self._outgoing.close()
        self._deadline = None
        self._move(SessionEvent.ENDED)

    def _move(self, event: SessionEvent) -> None:
        self.state = next_state(self.state, event)
        if self.state is SessionState.DISCONNECTED:
            self.session_id = ""

    def _handle(self, message: pb.ControllerMessage, timers: list[asyncio.Task[None]]) -> None:
        kind = message.WhichOneof("kind")
        if kind == "welcome":
            self._move(SessionEvent.WELCOMED)
            self.welcomed = True
            self.session_id = message.welcome.session_id
            self._backoff.reset()
            interval = (
                message.welcome.heartbeat_interval_ms / 1000 or self._config.heartbeat_interval
            )
            timers.append(asyncio.create_task(self._every(interval, self._heartbeat, now=True)))
            every = self._config.inventory_interval  # Hello carried one: the next is due later
            timers.append(asyncio.create_task(self._every(every, self._inventory, now=False)))
            logger.info("connected", extra={"controller": self.target, "session": self.session_id})
        elif kind == "instruction":
            self._worker.receive(message.instruction)
        elif kind == "ping":
            send_heartbeat(self._executor, self._outgoing)
        elif kind == "result_received":
            self._store.confirm(message.result_received.instruction_id)
        elif kind == "redirect":
            # Another replica serves this environment; the stream ends next (UNAVAILABLE).
            self.controllers.redirected(message.redirect.address)
            logger.info(
                "redirected to another controller",
                extra={"controller": self.target, "to": message.redirect.address},
            )

    async def _close_on_stop(self, outgoing: asyncio.Queue[pb.AgentMessage | None]) -> None:
        """On stop: once the running work is reported, half-close and let the controller
        confirm; give up after flush_timeout. (Closing the channel at once would lose the
        last messages: the controller would see the call cancelled.)"""
        await self._stopping.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._worker.done.wait(), self._config.work_stop_timeout)
        outgoing.put_nowait(None)
        self._move(SessionEvent.HALF_CLOSED)
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

    async def _heartbeat(self) -> None:
        send_heartbeat(self._executor, self._outgoing)

    async def _inventory(self) -> None:
        await send_inventory(self._executor, self._outgoing)

    async def _every(
        self, interval: float, action: Callable[[], Awaitable[None]], *, now: bool
    ) -> None:
        if not now:
            await asyncio.sleep(interval)
        while True:
            await action()
            await asyncio.sleep(interval)
