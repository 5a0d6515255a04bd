"""Protobuf messages ↔ naisd's plain data, at the edge of the agent and nowhere else."""

from __future__ import annotations

import json
import time

from fasit_proto.agent.v1 import agent_pb2 as pb
from fasit_proto.agent.v1.vocabulary import action_of, wire_log_kind, wire_outcome
from naisd.work import Action, Inventory, LogKind, Release, Work, WorkResult

__all__ = [
    "heartbeat_message",
    "inventory_message",
    "log_message",
    "now_ms",
    "release_message",
    "result_message",
    "work_of",
]

MAX_LINE = 4096
"""Log lines are cut to this many characters: one runaway line must not fill a message."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def work_of(message: pb.Instruction) -> Work:
    """The instruction as work; ValueError names what is wrong with a malformed one."""
    if not message.id:
        raise ValueError("instruction without an id")
    action = action_of(message.action)
    if action is None:
        raise ValueError(f"instruction {message.id}: unknown action {message.action}")
    if not message.release or not message.namespace:
        raise ValueError(f"instruction {message.id}: release and namespace are required")
    values: object = {}
    if message.values_json:
        try:
            values = json.loads(message.values_json)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"instruction {message.id}: values are not JSON: {exc}") from exc
    if not isinstance(values, dict):
        raise ValueError(f"instruction {message.id}: values must be a JSON object")
    if action is Action.INSTALL and not (message.chart.ref and message.version):
        raise ValueError(f"instruction {message.id}: an install needs a chart and a version")
    return Work(
        id=message.id,
        release=message.release,
        namespace=message.namespace,
        chart=message.chart.ref,
        digest=message.chart.digest,
        version=message.version,
        values=values,
        release_hash=message.release_hash,
        timeout=max(message.timeout_ms, 1) / 1000,
        action=action,
    )


def release_message(release: Release) -> pb.Release:
    return pb.Release(
        name=release.name,
        namespace=release.namespace,
        chart=release.chart,
        version=release.version,
        release_hash=release.release_hash,
        status=release.status,
        revision=release.revision,
        updated_unix_ms=release.updated_ms,
    )


def result_message(result: WorkResult) -> pb.AgentMessage:
    message = pb.Result(
        instruction_id=result.instruction_id,
        outcome=wire_outcome(result.outcome),
        error=result.error,
        finished_unix_ms=result.finished_ms,
        interrupted=result.interrupted,
    )
    if result.release is not None:
        message.release.CopyFrom(release_message(result.release))
    return pb.AgentMessage(result=message)


def inventory_message(inventory: Inventory) -> pb.AgentMessage:
    return pb.AgentMessage(
        inventory=pb.Inventory(
            releases=[release_message(r) for r in inventory.releases],
            taken_unix_ms=now_ms(),
            inventory_error=inventory.error,
        )
    )


def log_message(instruction_id: str, kind: LogKind, text: str) -> pb.AgentMessage:
    line = pb.LogLine(time_unix_ms=now_ms(), kind=wire_log_kind(kind), text=text[:MAX_LINE])
    return pb.AgentMessage(progress=pb.Progress(instruction_id=instruction_id, lines=[line]))


def heartbeat_message() -> pb.AgentMessage:
    return pb.AgentMessage(heartbeat=pb.Heartbeat(sent_unix_ms=now_ms()))
