"""The agent hub: gRPC sessions with naisd agents, their authentication, and delivery.

The reconciler uses `AgentHub` (who is connected, what they run, `send`, `events()`), builds
`Instruction`s with ids from `instruction_id`, and reads `AgentEvent`s. Imports only
fasit.model and fasit.errors of fasit, plus the generated protocol in fasit_proto: what
crosses the wire is plain data, never a plan.
"""

from fasit.agents.config import HubConfig, TlsConfig
from fasit.agents.contest import ContestPolicy
from fasit.agents.hub import AgentHub
from fasit.agents.ids import instruction_id
from fasit.agents.placement import Placement
from fasit.agents.token_files import (
    ReloadedFile,
    hash_token,
    read_mapping,
    replace_line,
    where,
    write_atomically,
)
from fasit.agents.tokens import TokenFile, set_token, write_token_file
from fasit.agents.types import (
    Action,
    AgentConnected,
    AgentDisconnected,
    AgentEvent,
    AgentResult,
    AgentStatus,
    Delivery,
    HeartbeatReceived,
    Instruction,
    InstructionAcked,
    InventoryReported,
    LogKind,
    LogLine,
    Outcome,
    ProgressReported,
    ReleaseState,
    ResultReported,
)

__all__ = [
    "Action",
    "AgentConnected",
    "AgentDisconnected",
    "AgentEvent",
    "AgentHub",
    "AgentResult",
    "AgentStatus",
    "ContestPolicy",
    "Delivery",
    "HeartbeatReceived",
    "HubConfig",
    "Instruction",
    "InstructionAcked",
    "InventoryReported",
    "LogKind",
    "LogLine",
    "Outcome",
    "Placement",
    "ProgressReported",
    "ReleaseState",
    "ReloadedFile",
    "ResultReported",
    "TlsConfig",
    "TokenFile",
    "hash_token",
    "instruction_id",
    "read_mapping",
    "replace_line",
    "set_token",
    "where",
    "write_atomically",
    "write_token_file",
]
