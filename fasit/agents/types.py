"""The hub's plain data: what the reconciler sends and what it hears back.

Nothing here is a protobuf message: `wire.py` converts at the edge, so the reconciler (and
its tests) never see generated classes. Every value is frozen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from fasit_proto.agent.v1.vocabulary import Action, LogKind, Outcome

__all__ = [
    "Action",
    "AgentConnected",
    "AgentDisconnected",
    "AgentEvent",
    "AgentResult",
    "AgentStatus",
    "Delivery",
    "HeartbeatReceived",
    "Instruction",
    "InstructionAcked",
    "InventoryReported",
    "LogKind",
    "LogLine",
    "Outcome",
    "ProgressReported",
    "ReleaseState",
    "ResultReported",
]


@dataclass(frozen=True, slots=True)
class Instruction:
    """One deploy attempt of one release in one environment (id: `instruction_id(...)`)."""

    id: str
    release: str
    namespace: str
    chart: str
    """An oci:// reference without tag, or a path the agent can read."""
    version: str
    values: Mapping[str, object]
    release_hash: str
    timeout: float
    """Seconds helm may take (helm --timeout)."""
    digest: str = ""
    """The chart's content digest, `sha256:<hex>`; pins an oci:// chart."""
    action: Action = Action.INSTALL


@dataclass(frozen=True, slots=True)
class ReleaseState:
    """One helm release as an agent reports it; `release_hash` is "" if fasit did not deploy it."""

    name: str
    namespace: str
    chart: str
    version: str
    release_hash: str
    status: str
    """Helm's status word: deployed, failed, pending-upgrade, ..."""
    revision: int
    updated: datetime | None


@dataclass(frozen=True, slots=True)
class AgentResult:
    """How an instruction ended; one per instruction id."""

    instruction_id: str
    outcome: Outcome
    error: str
    release: ReleaseState | None
    finished: datetime
    interrupted: bool = False
    """The agent stopped before the instruction finished (outcome FAILED, release unknown)."""


@dataclass(frozen=True, slots=True)
class LogLine:
    at: datetime
    kind: LogKind
    text: str


class Delivery(StrEnum):
    """What `AgentHub.send` did with an instruction."""

    QUEUED = "queued"
    """In the session's outbox, to be written to the agent's stream in order."""
    OFFLINE = "offline"
    """No live session for the environment; nothing was kept."""
    OUTBOX_FULL = "outbox-full"
    """The session's outbox holds its maximum of unsent instructions; nothing was kept.

    The agent reads slower than instructions come. Send it again on a later pass (same id):
    the outbox never grows past its bound, whatever the agent does.
    """
    TOO_LARGE = "too-large"
    """The instruction is larger than the message limit (HubConfig.max_message_bytes)."""


@dataclass(frozen=True, slots=True)
class AgentStatus:
    """What the hub knows of one environment's agent; kept after it disconnects."""

    environment: str
    connected: bool
    session_id: str
    peer: str
    agent_version: str
    connected_at: datetime
    last_heartbeat: datetime | None
    inventory: tuple[ReleaseState, ...]
    inventory_at: datetime
    inventory_error: str
    """Set when the agent could not read its inventory: `inventory` then means unknown."""
    outbox: int
    """Instructions waiting in the live session's outbox (0 when not connected)."""


@dataclass(frozen=True, slots=True)
class _Event:
    environment: str
    session_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentConnected(_Event):
    """A session became live (an older one of the environment, if any, was replaced)."""

    agent_version: str
    releases: tuple[ReleaseState, ...]
    inventory_error: str
    peer: str


@dataclass(frozen=True, slots=True)
class InstructionAcked(_Event):
    instruction_id: str


@dataclass(frozen=True, slots=True)
class ProgressReported(_Event):
    instruction_id: str
    lines: tuple[LogLine, ...]


@dataclass(frozen=True, slots=True)
class ResultReported(_Event):
    """An instruction's result; each instruction id once per hub, however often the agent sends."""

    result: AgentResult


@dataclass(frozen=True, slots=True)
class InventoryReported(_Event):
    releases: tuple[ReleaseState, ...]
    inventory_error: str


@dataclass(frozen=True, slots=True)
class HeartbeatReceived(_Event):
    pass


@dataclass(frozen=True, slots=True)
class AgentDisconnected(_Event):
    """A session ended; `reason` says why. Stale if its session_id is not the current one."""

    reason: str
    replaced: bool = field(default=False)


AgentEvent = (
    AgentConnected
    | InstructionAcked
    | ProgressReported
    | ResultReported
    | InventoryReported
    | HeartbeatReceived
    | AgentDisconnected
)
