"""AgentHub: the gRPC server agents dial, one live session per environment.

The reconciler (a later stage) asks it who is connected and what they run, sends instructions
with `send`, and consumes `events()`. Each stream is authenticated by its bearer token, must
open with a Hello for the token's environment, and then runs two loops: the writer sends the
session's outbox (and a Ping when idle), the reader (reader.py) turns agent messages into
events. The gRPC server itself (binding, TLS, health, reflection) is server.py's. The hub
never decides what to deploy and never blocks on a slow agent: see docs/agent-protocol.md.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import grpc

from fasit.agents.admission import Context, admit
from fasit.agents.config import HubConfig
from fasit.agents.contest import Contests, contested_warning, refusal_details
from fasit.agents.placement import (
    NOBODY_RETRY_MS,
    Placement,
    elsewhere_details,
    redirect_message,
)
from fasit.agents.reader import log_refusal, read, refusal
from fasit.agents.server import AgentServer
from fasit.agents.session import IDLE, Ending, EnvironmentRecord, Outbox, Session
from fasit.agents.tokens import TokenFile
from fasit.agents.types import (
    AgentConnected,
    AgentDisconnected,
    AgentEvent,
    AgentStatus,
    Delivery,
    Instruction,
    ReleaseState,
)
from fasit.agents.wire import (
    BadMessage,
    instruction_message,
    release_states,
)
from fasit_proto.agent.v1 import PROTOCOL_VERSION, RETRY_AFTER_METADATA
from fasit_proto.agent.v1 import agent_pb2 as pb

__all__ = ["AgentHub"]

logger = logging.getLogger(__name__)


class AgentHub:
    """The controller's end of the agent protocol. Use `async with AgentHub(tokens) as hub:`."""

    def __init__(
        self,
        tokens: TokenFile,
        config: HubConfig | None = None,
        placement: Placement | None = None,
    ) -> None:
        self._tokens = tokens
        self._config = config or HubConfig()
        self._placement = placement
        self._sessions: dict[str, Session] = {}
        self._records: dict[str, EnvironmentRecord] = {}
        self._contests = Contests(self._config.contest)
        self._refused_hellos = 0  # refused before a record exists, so counted here
        self._events: asyncio.Queue[AgentEvent] = asyncio.Queue(self._config.events_capacity)
        self._server: AgentServer | None = None
        self._port = 0
        # Session ids name the hub instance too, so a restarted controller never reuses one.
        self._nonce = secrets.token_hex(3)
        self._counter = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and serve (health and reflection included: server.py)."""
        if self._server is not None:
            raise RuntimeError("AgentHub.start: already started")
        server = AgentServer(self._config, self._connect)
        await server.start()
        self._server, self._port = server, server.port
        self._spawn(self._poll_tokens())
        logger.info(
            "agent hub listening",
            extra={"address": self.address, "tls": self._config.tls is not None},
        )

    async def stop(self) -> None:
        """End every session (UNAVAILABLE: agents reconnect to the next controller) and stop."""
        if self._server is None:
            return
        for session in list(self._sessions.values()):
            session.end(Ending(grpc.StatusCode.UNAVAILABLE, "the controller is stopping"))
        await self._server.stop()
        self._server = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def address(self) -> str:
        """host:port, for agents' --controller."""
        return f"{self._config.host}:{self._port}"

    # -- the reconciler's API ---------------------------------------------------------------

    def connected(self) -> frozenset[str]:
        """Environments with a live session."""
        return frozenset(self._sessions)

    def status(self, environment: str) -> AgentStatus | None:
        """What is known of an environment's agent (also after it left); None if it never came."""
        record = self._records.get(environment)
        if record is None or record.connected_at is None:  # only expected ids so far
            return None
        session = self._sessions.get(environment)
        return record.status(len(session.outbox) if session else None)

    def statuses(self) -> dict[str, AgentStatus]:
        return {env: status for env in self._records if (status := self.status(env))}

    async def send(self, environment: str, instruction: Instruction) -> Delivery:
        """Queue `instruction` for the environment's live session; never waits for the agent.

        OFFLINE and OUTBOX_FULL keep nothing: the reconciler sends again (same id) on a later
        pass. QUEUED is not delivered: a session can end before its outbox is written.
        """
        session = self._sessions.get(environment)
        if session is None or session.ending is not None:
            return Delivery.OFFLINE
        message = instruction_message(instruction)
        if message.ByteSize() > self._config.max_message_bytes:
            return Delivery.TOO_LARGE
        if not session.outbox.offer(message):
            return Delivery.OUTBOX_FULL
        session.record.sent(instruction.id)
        return Delivery.QUEUED

    def expect(self, environment: str, instruction_id: str) -> None:
        """Take acks, progress and results for an id sent before a controller restart."""
        record = self._records.get(environment)
        if record is None:
            record = EnvironmentRecord(environment, self._config.result_memory)
            self._records[environment] = record
        record.sent(instruction_id)

    async def events(self) -> AsyncIterator[AgentEvent]:
        """Every agent event in arrival order, for one consumer.

        Bounded (HubConfig.events_capacity): while it is full, sessions stop reading their
        streams, so a slow consumer slows the agents (HTTP/2 flow control) instead of growing
        the controller's memory. Nothing is dropped.
        """
        while True:
            yield await self._events.get()

    def dropped(self) -> Counter[tuple[str, str]]:
        """Agent messages (or lines) dropped, by (kind, reason): see docs/agent-protocol.md."""
        total: Counter[tuple[str, str]] = Counter()
        if self._refused_hellos:
            total[("hello", "refused")] = self._refused_hellos
        for record in self._records.values():
            total.update(record.dropped)
        return total

    @property
    def events_waiting(self) -> int:
        """Events not yet taken by the consumer (at most HubConfig.events_capacity)."""
        return self._events.qsize()

    def outbox_length(self, environment: str) -> int:
        """Instructions waiting for the environment's live session (0 if none)."""
        session = self._sessions.get(environment)
        return len(session.outbox) if session else 0

    # -- one stream ---------------------------------------------------------------------------

    async def _connect(
        self, requests: AsyncIterator[pb.AgentMessage], context: Context
    ) -> AsyncIterator[pb.ControllerMessage]:
        environment, hello, token_hash = await admit(
            self._tokens, requests, context, self._config.hello_timeout
        )
        try:
            inventory = release_states(hello.releases)
        except BadMessage as exc:
            self._refused_hellos += 1
            log_refusal(environment, "hello", exc)
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, refusal("hello", exc))
        elsewhere = None if self._placement is None else self._placement(environment)
        if elsewhere is not None:
            if elsewhere:
                yield redirect_message(elsewhere)
            await self._redirect(environment, elsewhere, context)
        await self._hold_contested(environment, context)
        session = self._register(environment, hello, inventory, context.peer(), token_hash)
        config = self._config
        yield pb.ControllerMessage(
            welcome=pb.Welcome(
                session_id=session.id,
                protocol_version=PROTOCOL_VERSION,
                heartbeat_interval_ms=round(config.heartbeat_every * 1000),
            )
        )
        reader = asyncio.create_task(read(session, requests, self._events, config.agent_timeout))
        try:
            while (message := await session.outbox.get(config.ping_interval)) is not None:
                if message is IDLE:
                    message = pb.ControllerMessage(ping=pb.Ping(sent_unix_ms=_now_ms()))
                assert isinstance(message, pb.ControllerMessage)
                yield message
            ending = session.ending
            if ending is not None and ending.code != grpc.StatusCode.OK:
                await context.abort(ending.code, ending.details)
        finally:
            reader.cancel()
            self._unregister(session)

    async def _redirect(self, environment: str, elsewhere: str, context: Context) -> None:
        """End a stream of an environment another replica serves (old agents read the status
        and dial their next address)."""
        retry = 0 if elsewhere else NOBODY_RETRY_MS
        await context.abort(
            grpc.StatusCode.UNAVAILABLE,
            elsewhere_details(environment, elsewhere),
            trailing_metadata=((RETRY_AFTER_METADATA, str(retry)),),
        )

    def redirect_moved(self) -> int:
        """End the sessions of environments this replica no longer serves (their leases moved),
        each told where to go; returns how many."""
        if self._placement is None:
            return 0
        moved = 0
        for session in list(self._sessions.values()):
            elsewhere = self._placement(session.environment)
            if elsewhere is None or session.ending is not None:
                continue
            if elsewhere:
                session.outbox.control(redirect_message(elsewhere))
            details = elsewhere_details(session.environment, elsewhere)
            session.end(Ending(grpc.StatusCode.UNAVAILABLE, details), drain_control=True)
            moved += 1
        if moved:
            logger.info("agent sessions moved to other replicas", extra={"sessions": moved})
        return moved

    async def _hold_contested(self, environment: str, context: Context) -> None:
        """Refuse a new session while two agents with one token keep swapping (contest.py)."""
        live = self._sessions.get(environment)
        if live is None or live.ending is not None:
            return
        delay = self._contests[environment].refuse()
        if delay is not None:
            await context.abort(
                grpc.StatusCode.ALREADY_EXISTS,
                refusal_details(environment, live.peer, delay),
                trailing_metadata=((RETRY_AFTER_METADATA, str(round(delay * 1000))),),
            )

    def _register(
        self,
        environment: str,
        hello: pb.Hello,
        inventory: tuple[ReleaseState, ...],
        peer: str,
        token_hash: str,
    ) -> Session:
        """Make the new session the environment's live one; an older one is replaced."""
        record = self._records.get(environment)
        if record is None:
            record = EnvironmentRecord(environment, self._config.result_memory)
            self._records[environment] = record
        now = datetime.now(UTC)
        session_id = f"{self._nonce}-{next(self._counter)}"
        record.session_id, record.peer, record.agent_version = session_id, peer, hello.agent_version
        record.connected_at = record.inventory_at = now
        record.inventory = inventory
        record.inventory_error = hello.inventory_error
        config = self._config
        session = Session(
            session_id,
            record,
            peer,
            token_hash,
            Outbox(config.outbox_capacity, config.control_capacity),
        )
        old = self._sessions.get(environment)
        self._sessions[environment] = session
        if old is not None:
            # The newest stream wins: an agent that restarted must not wait for keepalive to
            # notice its old, half-open stream (docs/agent-protocol.md, "One session").
            old.end(
                Ending(
                    grpc.StatusCode.ABORTED,
                    f"replaced by a newer session {session_id} from {peer}",
                    replaced=True,
                )
            )
            logger.warning(
                "agent session replaced by a newer one",
                extra={"environment": environment, "old": old.peer, "new": peer},
            )
            if self._contests[environment].swapped(time.monotonic()):
                logger.warning(
                    contested_warning(environment, config.contest, old.peer, peer),
                    extra={"environment": environment, "old": old.peer, "new": peer},
                )
        logger.info("agent connected", extra={"environment": environment, "session": session_id})
        self._emit_now(
            AgentConnected(
                environment,
                session_id,
                now,
                hello.agent_version,
                record.inventory,
                hello.inventory_error,
                peer,
            )
        )
        return session

    def _unregister(self, session: Session) -> None:
        if self._sessions.get(session.environment) is session:
            del self._sessions[session.environment]
            self._contests[session.environment].ended()
        ending = session.ending
        reason = ending.details if ending else "the stream broke (the agent went away)"
        logger.info(
            "agent disconnected",
            extra={"environment": session.environment, "session": session.id, "reason": reason},
        )
        self._emit_now(
            AgentDisconnected(
                session.environment,
                session.id,
                datetime.now(UTC),
                reason,
                replaced=bool(ending and ending.replaced),
            )
        )

    # -- housekeeping -------------------------------------------------------------------------

    def _emit_now(self, event: AgentEvent) -> None:
        """Queue an event from code that must not wait (connect and disconnect bookkeeping).

        When the queue is full, a task waits to put it; there is at most one such task per
        session start or end, so this stays bounded by the number of sessions.
        """
        try:
            self._events.put_nowait(event)
        except asyncio.QueueFull:
            self._spawn(self._events.put(event))

    def _spawn(self, awaitable: Awaitable[None]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _poll_tokens(self) -> None:
        """Reload a changed token file and end the sessions whose token is no longer valid."""
        while True:
            await asyncio.sleep(self._config.token_poll_interval)
            await self._tokens.reload()
            for session in list(self._sessions.values()):
                if not self._tokens.accepts(session.environment, session.token_hash):
                    logger.warning(
                        "agent session ended: its token was revoked",
                        extra={"environment": session.environment},
                    )
                    session.end(
                        Ending(
                            grpc.StatusCode.UNAUTHENTICATED, "the token of this session was revoked"
                        )
                    )


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)
