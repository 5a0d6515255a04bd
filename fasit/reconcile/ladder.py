"""The status people see for one (environment, feature): one ladder for UI, API and metrics.

Derived from two signals only, the latest decision and the latest deploy, so every surface
shows the same word for the same facts (DESIGN.md §4). The first rung that holds wins.
"""

from __future__ import annotations

from enum import StrEnum

from fasit.reconcile.decisions import Reason
from fasit.reconcile.deploys import Deploy, DeployState

__all__ = ["Status", "shown_status"]


class Status(StrEnum):
    DISABLED = "DISABLED"
    KIND_MISMATCH = "KIND-MISMATCH"
    SENT = "SENT"
    INSTALLING = "INSTALLING"
    UPGRADING = "UPGRADING"
    UNINSTALLING = "UNINSTALLING"
    MISSING_DEPENDENCY = "MISSING-DEPENDENCY"
    CHART_UNAVAILABLE = "CHART-UNAVAILABLE"
    RENDER_ERROR = "RENDER-ERROR"
    MISSING_CONFIG = "MISSING-CONFIG"
    VALUES_INVALID = "VALUES-INVALID"
    OFFLINE = "OFFLINE"
    PRUNE_REFUSED = "PRUNE-REFUSED"
    FAILED = "FAILED"
    DEPLOYED = "DEPLOYED"
    ORPHAN = "ORPHAN"
    PENDING = "PENDING"


_HEAD = {Reason.DISABLED: Status.DISABLED, Reason.KIND_MISMATCH: Status.KIND_MISMATCH}
_IN_FLIGHT = {
    DeployState.SENT: Status.SENT,
    DeployState.INSTALLING: Status.INSTALLING,
    DeployState.UNINSTALLING: Status.UNINSTALLING,
}
_BLOCKED = {
    Reason.MISSING_DEPENDENCY: Status.MISSING_DEPENDENCY,
    Reason.CHART_UNAVAILABLE: Status.CHART_UNAVAILABLE,
    Reason.RENDER_ERROR: Status.RENDER_ERROR,
    Reason.MISSING_CONFIG: Status.MISSING_CONFIG,
    Reason.VALUES_INVALID: Status.VALUES_INVALID,
    Reason.AGENT_OFFLINE: Status.OFFLINE,
    Reason.PRUNE_REFUSED: Status.PRUNE_REFUSED,
}
_ORPHANED = frozenset({Reason.ORPHAN, Reason.PROTECTED, Reason.UNINSTALL})


def shown_status(reason: Reason | None, deploy: Deploy | None, current_hash: str) -> Status:
    """The status of a release from its latest decision and its latest deploy.

    `current_hash` is the desired release hash, or the running one for an orphan: a failure
    of another hash is history, not the current state.

    | status | when (first match wins) |
    |---|---|
    | DISABLED, KIND-MISMATCH | that decision |
    | SENT, INSTALLING / UPGRADING, UNINSTALLING | an instruction is in flight (acknowledged: UPGRADING when a version ran before it) |
    | MISSING-DEPENDENCY, CHART-UNAVAILABLE, RENDER-ERROR, MISSING-CONFIG, VALUES-INVALID, OFFLINE, PRUNE-REFUSED | that decision (agent-offline: OFFLINE), even over an earlier deploy |
    | FAILED | the latest deploy, of the current hash, failed |
    | DEPLOYED | decision unchanged |
    | ORPHAN | decision orphan, protected or uninstall |
    | PENDING | anything else: waiting for a dependency, a limit, or the next pass |
    """  # noqa: E501
    head = _HEAD.get(reason) if reason is not None else None
    if head is not None:
        return head
    if deploy is not None and deploy.in_flight:
        if deploy.state is DeployState.INSTALLING and deploy.from_version:
            return Status.UPGRADING  # helm replaces a running release: not a first install
        return _IN_FLIGHT[deploy.state]
    blocked = _BLOCKED.get(reason) if reason is not None else None
    if blocked is not None:
        return blocked
    if (
        deploy is not None
        and deploy.state is DeployState.FAILED
        and deploy.release_hash == current_hash
    ):
        return Status.FAILED
    if reason is Reason.UNCHANGED:
        return Status.DEPLOYED
    if reason in _ORPHANED:
        return Status.ORPHAN
    return Status.PENDING
