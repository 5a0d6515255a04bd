"""Who may open a session: the bearer token, then the Hello, checked before anything else.

`admit` is the first thing the hub does with a new stream. It ends the call itself on a bad
token (UNAUTHENTICATED), a Hello for another environment than the token's (PERMISSION_DENIED),
a stream that does not start with a Hello (INVALID_ARGUMENT, or DEADLINE_EXCEEDED when none
comes) and an unknown protocol version (FAILED_PRECONDITION).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable

import grpc

from fasit.agents.tokens import TokenFile, hash_token
from fasit_proto.agent.v1 import AUTHORIZATION_METADATA, BEARER_PREFIX, PROTOCOL_VERSION
from fasit_proto.agent.v1 import agent_pb2 as pb

__all__ = ["Context", "admit"]

logger = logging.getLogger(__name__)

Context = grpc.aio.ServicerContext[pb.AgentMessage, pb.ControllerMessage]


async def admit(
    tokens: TokenFile,
    requests: AsyncIterator[pb.AgentMessage],
    context: Context,
    hello_timeout: float,
) -> tuple[str, pb.Hello, str]:
    """(environment, its Hello, the token's hash), or the call ended with the reason."""
    token = _bearer(context.invocation_metadata() or ())
    if token is None:
        logger.warning("agent refused: no bearer token", extra={"peer": context.peer()})
        await context.abort(
            grpc.StatusCode.UNAUTHENTICATED,
            f"no bearer token: send metadata '{AUTHORIZATION_METADATA}: Bearer <token>'",
        )
    environment = await tokens.lookup(token)
    if environment is None:
        claimed = await _claimed(requests, hello_timeout)
        logger.warning(
            "agent refused: unknown token for the environment %s",
            claimed,
            extra={"peer": context.peer(), "claimed": claimed},
        )
        await context.abort(
            grpc.StatusCode.UNAUTHENTICATED, "the token is not valid for any environment"
        )
    hello = await _hello(requests, context, hello_timeout)
    if hello.environment != environment:
        logger.warning(
            "agent refused: Hello for another environment",
            extra={"environment": environment, "claimed": hello.environment},
        )
        await context.abort(
            grpc.StatusCode.PERMISSION_DENIED,
            f"this token is for {environment}, not {hello.environment!r}",
        )
    if hello.protocol_version != PROTOCOL_VERSION:
        await context.abort(
            grpc.StatusCode.FAILED_PRECONDITION,
            f"protocol version {hello.protocol_version} is not supported"
            f" (this controller speaks {PROTOCOL_VERSION})",
        )
    return environment, hello, hash_token(token)


async def _hello(
    requests: AsyncIterator[pb.AgentMessage], context: Context, timeout: float
) -> pb.Hello:
    try:
        first = await asyncio.wait_for(anext(requests), timeout)
    except TimeoutError:
        await context.abort(
            grpc.StatusCode.DEADLINE_EXCEEDED,
            f"no Hello within {timeout:g} s of opening the stream",
        )
    except StopAsyncIteration:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the stream ended before Hello")
    if first.WhichOneof("kind") != "hello":
        await context.abort(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"the first message must be Hello, got {first.WhichOneof('kind')}",
        )
    return first.hello


async def _claimed(requests: AsyncIterator[pb.AgentMessage], timeout: float) -> str:
    """The environment the refused stream's Hello claims: says which agent has a stale token."""
    try:
        first = await asyncio.wait_for(anext(requests), timeout)
    except (TimeoutError, StopAsyncIteration):
        return "(no Hello)"
    if first.WhichOneof("kind") != "hello":
        return "(no Hello)"
    return repr(first.hello.environment) if first.hello.environment else "(none)"


def _bearer(metadata: Iterable[tuple[str, str | bytes]]) -> str | None:
    """The token of `authorization: Bearer <token>`, or None."""
    for key, value in metadata:
        if key != AUTHORIZATION_METADATA or not isinstance(value, str):
            continue
        if value.startswith(BEARER_PREFIX) and value[len(BEARER_PREFIX) :].strip():
            return value[len(BEARER_PREFIX) :].strip()
    return None
