"""Version 1 of the agent protocol: generated messages and the constants both ends share.

`agent_pb2` and `agent_pb2_grpc` are generated from proto/fasit/agent/v1/agent.proto. The
constants here are the parts of the protocol a .proto cannot say: where the token travels,
the protocol version and the message size limit. docs/agent-protocol.md explains each.
"""

from __future__ import annotations

from fasit_proto.agent.v1 import agent_pb2, agent_pb2_grpc

__all__ = [
    "AUTHORIZATION_METADATA",
    "BEARER_PREFIX",
    "MAX_MESSAGE_BYTES",
    "PROTOCOL_VERSION",
    "RETRY_AFTER_METADATA",
    "SERVICE_NAME",
    "agent_pb2",
    "agent_pb2_grpc",
]

PROTOCOL_VERSION = 1
"""The version this package speaks; Hello and Welcome carry it."""

AUTHORIZATION_METADATA = "authorization"
"""The metadata key of the agent's token (gRPC metadata keys are lower case)."""

RETRY_AFTER_METADATA = "fasit-retry-after-ms"
"""Trailing metadata of a refused session: milliseconds the agent waits before it dials again
(at least; its own backoff may be longer)."""

BEARER_PREFIX = "Bearer "
"""The token is sent as `authorization: Bearer <token>`."""

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
"""The largest message either end sends or accepts (values of one release fit with room).

Both ends set it as grpc.max_send_message_length and grpc.max_receive_message_length; a larger
message fails that call with RESOURCE_EXHAUSTED instead of growing memory.
"""

SERVICE_NAME: str = agent_pb2.DESCRIPTOR.services_by_name["AgentService"].full_name
"""fasit.agent.v1.AgentService, as health checks and reflection name it."""
