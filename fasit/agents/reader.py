"""Reading one agent session's stream: agent messages → the environment's record and events.

The hub (hub.py) runs `read` as a task beside the session's writer. However the reading stops
(the agent half-closed, the stream broke, a message was refused, a bug of ours), the session
is ended with it, so that no session stays connected with nobody reading it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import grpc
from google.protobuf.message import DecodeError

from fasit.agents.session import MAX_LINES_PER_INSTRUCTION, Ending, EnvironmentRecord, Session
from fasit.agents.types import (
    AgentEvent,
    HeartbeatReceived,
    InstructionAcked,
    InventoryReported,
    LogKind,
    LogLine,
    ProgressReported,
    ResultReported,
)
from fasit.agents.wire import BadMessage, log_lines, release_states, result_of
from fasit_proto.agent.v1 import agent_pb2 as pb

__all__ = ["log_refusal", "read", "refusal"]

logger = logging.getLogger(__name__)


async def read(
    session: Session,
    requests: AsyncIterator[pb.AgentMessage],
    events: asyncio.Queue[AgentEvent],
    timeout: float,
) -> None:
    """Agent messages → records and events, until the agent half-closes or the stream ends,
    or sends nothing for `timeout` seconds (a hung agent: the session ends, it shows OFFLINE).

    However the reading stops, the session ends with it: a session nobody reads must not
    stay connected (its heartbeats and results would go unheard).
    """
    kind: str | None = None
    try:
        while True:
            try:
                message = await asyncio.wait_for(anext(requests), timeout)
            except StopAsyncIteration:
                break
            except TimeoutError:
                detail = f"no message from the agent in {timeout:g} s (the agent timeout)"
                logger.warning(
                    "agent silent: session ended",
                    extra={"environment": session.environment, "timeout": timeout},
                )
                session.end(Ending(grpc.StatusCode.UNAVAILABLE, detail))
                return
            kind = message.WhichOneof("kind")
            if not await _handle(session, message, events):
                return
            kind = None  # bytes that do not parse as the next message have no kind
        # The agent half-closed: send what receipts are left, then end the call with OK.
        session.end(Ending(grpc.StatusCode.OK, "the agent closed its stream"), drain_control=True)
    except (grpc.aio.AioRpcError, grpc.RpcError, asyncio.InvalidStateError) as exc:
        session.end(Ending(grpc.StatusCode.UNAVAILABLE, f"reading the stream failed: {exc}"))
        return
    except grpc.aio.AbortError:
        # The hub ended the call (stopping, a newer session, a refusal): gRPC fails the read
        # that was pending. The session's ending is already set; nothing failed.
        session.end(Ending(grpc.StatusCode.UNAVAILABLE, "the hub ended the stream"))
        return
    except (BadMessage, DecodeError) as exc:
        session.record.dropped[(kind or "malformed", "refused")] += 1
        log_refusal(session.environment, kind, exc)
        session.end(Ending(grpc.StatusCode.INVALID_ARGUMENT, refusal(kind, exc)))
        return
    except Exception as exc:
        # A bug of ours, not the agent's: say so, and let the agent reconnect.
        logger.exception(
            "agent session ended: the hub failed on a message",
            extra={"environment": session.environment, "kind": kind},
        )
        detail = f"the controller failed on a {kind} message: {exc}"
        session.end(Ending(grpc.StatusCode.INTERNAL, detail))
        return
    finally:
        if session.ending is None:  # cancelled: the stream is ending anyway
            session.end(Ending(grpc.StatusCode.UNAVAILABLE, "the hub stopped reading"))


async def _handle(
    session: Session, message: pb.AgentMessage, events: asyncio.Queue[AgentEvent]
) -> bool:
    """Record and pass on one message; False ends the session (a protocol error)."""
    record, env, sid, now = session.record, session.environment, session.id, datetime.now(UTC)
    kind = message.WhichOneof("kind")
    if kind == "ack":
        if _sent_here(session, kind, message.ack.instruction_id):
            await events.put(InstructionAcked(env, sid, now, message.ack.instruction_id))
    elif kind == "progress":
        lines = log_lines(message.progress)
        identifier = message.progress.instruction_id
        kept = (
            _within_cap(record, identifier, lines) if _sent_here(session, kind, identifier) else ()
        )
        if kept:
            await events.put(ProgressReported(env, sid, now, identifier, kept))
    elif kind == "result":
        result = result_of(message.result)
        if result is None:
            logger.warning("result with an unknown outcome ignored", extra={"environment": env})
            return True
        if not _sent_here(session, kind, result.instruction_id):
            return True  # no receipt: after a controller restart the agent sends it again
        if record.first_time(result.instruction_id):
            await events.put(ResultReported(env, sid, now, result))
        # Receipt only once the result is in the event queue: the agent may then forget it.
        session.outbox.control(
            pb.ControllerMessage(
                result_received=pb.ResultReceived(instruction_id=result.instruction_id)
            )
        )
    elif kind == "inventory":
        record.inventory = release_states(message.inventory.releases)
        record.inventory_at, record.inventory_error = now, message.inventory.inventory_error
        await events.put(InventoryReported(env, sid, now, record.inventory, record.inventory_error))
    elif kind == "heartbeat":
        record.last_heartbeat = now
        await events.put(HeartbeatReceived(env, sid, now))
    elif kind == "hello":
        session.end(Ending(grpc.StatusCode.INVALID_ARGUMENT, "Hello is only the first message"))
        return False
    # An unknown kind is from a newer agent: ignored, so old controllers keep working.
    return True


def _sent_here(session: Session, kind: str, instruction_id: str) -> bool:
    """Whether the hub sent `instruction_id` to this session's environment; else count and drop.

    An agent may only write onto its own environment's instructions: another environment's id
    (or one never sent) is dropped, so it reaches neither the store nor a release page.
    """
    if session.record.was_sent(instruction_id):
        return True
    session.record.dropped[(kind, "not-sent-here")] += 1
    if not session.warned_dropped:  # once per session: a hostile agent must not flood the log
        session.warned_dropped = True
        logger.warning(
            "agent message dropped from %s: instruction %r was not sent to it"
            " (further drops of this session are only counted)",
            session.environment,
            instruction_id,
            extra={"environment": session.environment, "kind": kind},
        )
    return False


def _within_cap(
    record: EnvironmentRecord, instruction_id: str, lines: tuple[LogLine, ...]
) -> tuple[LogLine, ...]:
    """The lines the instruction may still keep, and one note when the cap is first reached."""
    kept = record.take_lines(instruction_id, len(lines))
    if kept == len(lines):
        return lines
    record.dropped[("progress", "too-many-lines")] += len(lines) - kept
    if kept == 0:
        return ()
    note = LogLine(
        lines[kept].at,
        LogKind.AGENT,
        f"… {len(lines) - kept} lines dropped (at most {MAX_LINES_PER_INSTRUCTION} per"
        " instruction; later ones are dropped too)",
    )
    return (*lines[:kept], note)


def refusal(kind: str | None, exc: BadMessage | DecodeError) -> str:
    """The status detail the agent sees for a refused message."""
    return f"refused a {kind or 'malformed'} message: {exc}"


def log_refusal(environment: str, kind: str | None, exc: BadMessage | DecodeError) -> None:
    logger.warning(
        "agent message refused from %s: %s",
        environment,
        refusal(kind, exc),
        extra={"environment": environment, "kind": kind},
    )
