"""The protocol's closed sets as Python enums, and their wire values: one table, both ends.

Hand-written (not generated): the hub (fasit.agents) and the agent (naisd) both speak of
actions, outcomes and log kinds; each converts at its edge through these tables.
"""

from __future__ import annotations

from enum import StrEnum

from fasit_proto.agent.v1 import agent_pb2 as pb

__all__ = [
    "Action",
    "LogKind",
    "Outcome",
    "action_of",
    "log_kind_of",
    "outcome_of",
    "wire_action",
    "wire_log_kind",
    "wire_outcome",
]


class Action(StrEnum):
    """What an instruction does to its release."""

    INSTALL = "install"
    """`helm upgrade --install`: install or upgrade to the instruction's chart and values."""
    UNINSTALL = "uninstall"
    """`helm uninstall`."""


class Outcome(StrEnum):
    """How an instruction ended."""

    DEPLOYED = "deployed"
    FAILED = "failed"
    UNINSTALLED = "uninstalled"


class LogKind(StrEnum):
    """Who wrote a log line: helm (stdout, stderr) or the agent itself."""

    STDOUT = "stdout"
    STDERR = "stderr"
    AGENT = "agent"


_ACTIONS = {Action.INSTALL: pb.ACTION_INSTALL, Action.UNINSTALL: pb.ACTION_UNINSTALL}
_OUTCOMES = {
    Outcome.DEPLOYED: pb.OUTCOME_DEPLOYED,
    Outcome.FAILED: pb.OUTCOME_FAILED,
    Outcome.UNINSTALLED: pb.OUTCOME_UNINSTALLED,
}
_LOG_KINDS = {
    LogKind.STDOUT: pb.LOG_KIND_STDOUT,
    LogKind.STDERR: pb.LOG_KIND_STDERR,
    LogKind.AGENT: pb.LOG_KIND_AGENT,
}
_ACTIONS_BACK = {wire: action for action, wire in _ACTIONS.items()}
_OUTCOMES_BACK = {wire: outcome for outcome, wire in _OUTCOMES.items()}
_LOG_KINDS_BACK = {wire: kind for kind, wire in _LOG_KINDS.items()}


def wire_action(action: Action) -> pb.Action.ValueType:
    return _ACTIONS[action]


def action_of(value: pb.Action.ValueType) -> Action | None:
    """None for UNSPECIFIED or a value of a newer protocol."""
    return _ACTIONS_BACK.get(value)


def wire_outcome(outcome: Outcome) -> pb.Outcome.ValueType:
    return _OUTCOMES[outcome]


def outcome_of(value: pb.Outcome.ValueType) -> Outcome | None:
    """None for UNSPECIFIED or a value of a newer protocol."""
    return _OUTCOMES_BACK.get(value)


def wire_log_kind(kind: LogKind) -> pb.LogKind.ValueType:
    return _LOG_KINDS[kind]


def log_kind_of(value: pb.LogKind.ValueType) -> LogKind:
    """An unknown kind reads as the agent's own line."""
    return _LOG_KINDS_BACK.get(value, LogKind.AGENT)
