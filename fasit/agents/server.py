"""The hub's gRPC server: the agent service bound on its address (plain or TLS), with the
standard health service and server reflection beside it.

`AgentHub` (hub.py) starts and stops one and hands it the handler of a stream; everything a
stream does (admission, the session, its loops) is the hub's. Split from hub.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from fasit.agents.admission import Context
from fasit.agents.config import HubConfig
from fasit_proto.agent.v1 import SERVICE_NAME, agent_pb2_grpc
from fasit_proto.agent.v1 import agent_pb2 as pb

__all__ = ["AgentServer", "StreamHandler"]

StreamHandler = Callable[
    [AsyncIterator[pb.AgentMessage], Context], AsyncIterator[pb.ControllerMessage]
]
"""Serves one agent's stream: its messages in, the controller's messages out."""


class AgentServer:
    """The agent service on `config`'s address, each stream served by `connect`."""

    def __init__(self, config: HubConfig, connect: StreamHandler) -> None:
        self._config = config
        self._connect = connect
        self._server: grpc.aio.Server | None = None
        self._health: health.aio.HealthServicer | None = None
        self.port = 0
        """The port bound (the one asked, or the one the system chose for port 0)."""

    async def start(self) -> None:
        """Bind, serve, and report SERVING; OSError if the address cannot be bound."""
        if self._server is not None:
            raise RuntimeError("AgentServer.start: already started")
        config = self._config
        server = grpc.aio.server(options=config.server_options())
        agent_pb2_grpc.add_AgentServiceServicer_to_server(_Servicer(self._connect), server)
        self._health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
        )
        address = f"{config.host}:{config.port}"
        try:
            if config.tls is None:
                self.port = server.add_insecure_port(address)
            else:
                self.port = server.add_secure_port(address, config.tls.credentials())
        except RuntimeError as exc:
            raise OSError(f"agent hub cannot listen on {address}: {exc}") from exc
        await server.start()
        self._server = server
        for service in (SERVICE_NAME, ""):
            await self._health.set(service, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self) -> None:
        """Report NOT_SERVING, then stop, giving open streams `stop_grace` to end."""
        if self._server is None:
            return
        if self._health is not None:
            await self._health.enter_graceful_shutdown()
        await self._server.stop(self._config.stop_grace)
        self._server = None


class _Servicer(agent_pb2_grpc.AgentServiceServicer):
    """The generated service's one method, handed to the hub's stream handler."""

    def __init__(self, connect: StreamHandler) -> None:
        self._connect = connect

    async def Connect(  # noqa: N802 (the generated name)
        self,
        request_iterator: AsyncIterator[pb.AgentMessage],
        context: Context,
    ) -> AsyncIterator[pb.ControllerMessage]:
        # grpc.aio serves a streaming method only if it is itself an async generator function.
        async for message in self._connect(request_iterator, context):
            yield message
