"""What the agent tests share: an event recorder, an executor held at a gate, instructions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import TypeVar

import grpc

from fasit.agents import AgentEvent, AgentHub, Instruction, ResultReported, instruction_id
from fasit_proto.agent.v1 import (
    AUTHORIZATION_METADATA,
    BEARER_PREFIX,
    PROTOCOL_VERSION,
    agent_pb2_grpc,
)
from fasit_proto.agent.v1 import agent_pb2 as pb
from naisd import Applied, FakeExecutor, Inventory, LogKind, LogSink, Work
from tests.integration.waiting import eventually

E = TypeVar("E")


class EventLog:
    """Records every event of `hub.events()` in the background (the one consumer)."""

    def __init__(self, hub: AgentHub) -> None:
        self.hub = hub
        self.events: list[AgentEvent] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> EventLog:
        self._task = asyncio.create_task(self._consume())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._task is not None
        self._task.cancel()

    async def _consume(self) -> None:
        async for event in self.hub.events():
            self.events.append(event)

    def of(self, kind: type[E], environment: str | None = None) -> list[E]:
        return [
            e
            for e in self.events
            if isinstance(e, kind) and (environment is None or e.environment == environment)
        ]

    def results(self, identifier: str) -> list[ResultReported]:
        return [e for e in self.of(ResultReported) if e.result.instruction_id == identifier]

    async def wait_for(self, kind: type[E], what: str, where: Callable[[E], bool] = bool) -> E:
        """The first recorded event of `kind` for which `where` holds, waiting for it."""
        await eventually(lambda: any(where(e) for e in self.of(kind)), what)
        return next(e for e in self.of(kind) if where(e))


class GatedExecutor:
    """A FakeExecutor (no delay) whose work waits at `gate`; records the work it was given."""

    name = "gated"

    def __init__(self, environment: str = "nav/prod") -> None:
        self.inner = FakeExecutor(environment, delay=(0, 0))
        self.gate = asyncio.Event()
        self.started = asyncio.Event()
        self.works: list[Work] = []

    @property
    def runs(self) -> list[str]:
        """The instruction ids it ran, in order."""
        return [work.id for work in self.works]

    @property
    def releases(self) -> list[str]:
        return [work.release for work in self.works]

    async def apply(self, work: Work, log: LogSink) -> Applied:
        self.works.append(work)
        log(LogKind.AGENT, f"waiting at the gate: {work.release}")
        self.started.set()
        await self.gate.wait()
        return await self.inner.apply(work, log)

    async def inventory(self) -> Inventory:
        return await self.inner.inventory()

    def is_healthy(self) -> bool:
        return True


def make_instruction(
    release: str = "web",
    *,
    environment: str = "nav/prod",
    attempt: int = 1,
    values: dict[str, object] | None = None,
    chart: str = "oci://registry.example/charts/web",
    digest: str = "",
    version: str = "1.0.0",
    timeout: float = 30.0,
) -> Instruction:
    release_hash = "sha256:" + f"{release}{attempt}".encode().hex().ljust(64, "0")[:64]
    return Instruction(
        id=instruction_id(environment, release, release_hash, attempt),
        release=release,
        namespace="apps",
        chart=chart,
        version=version,
        values=values or {"replicas": 2},
        release_hash=release_hash,
        timeout=timeout,
        digest=digest,
    )


class RawSession:
    """A hand-driven stream (no Agent): what a misbehaving or hostile client can do."""

    def __init__(
        self,
        address: str,
        *,
        token: str | None,
        first: pb.AgentMessage | None,
        channel: grpc.aio.Channel | None = None,
    ) -> None:
        self._outgoing: asyncio.Queue[pb.AgentMessage | None] = asyncio.Queue()
        if first is not None:
            self._outgoing.put_nowait(first)
        self.channel = channel or grpc.aio.insecure_channel(address)
        metadata = () if token is None else ((AUTHORIZATION_METADATA, BEARER_PREFIX + token),)
        self.call = agent_pb2_grpc.AgentServiceStub(self.channel).Connect(
            self._requests(), metadata=metadata
        )

    async def _requests(self) -> AsyncIterator[pb.AgentMessage]:
        while (message := await self._outgoing.get()) is not None:
            yield message

    def send(self, message: pb.AgentMessage) -> None:
        self._outgoing.put_nowait(message)

    async def receive(self) -> pb.ControllerMessage:
        """The next message; raises AioRpcError when the controller ended the stream."""
        message = await self.call.read()
        if message is grpc.aio.EOF:
            raise AssertionError(f"stream ended: {await self.call.code()}")
        assert isinstance(message, pb.ControllerMessage)
        return message

    async def ended_with(self) -> tuple[grpc.StatusCode, str]:
        """Read to the end; the status and details the controller ended the stream with."""
        with contextlib.suppress(grpc.aio.AioRpcError):
            while await self.call.read() is not grpc.aio.EOF:
                pass
        return await self.call.code(), await self.call.details()

    async def close(self) -> None:
        await self.channel.close()


def hello(environment: str = "nav/prod") -> pb.AgentMessage:
    return pb.AgentMessage(
        hello=pb.Hello(
            environment=environment, agent_version="raw", protocol_version=PROTOCOL_VERSION
        )
    )
