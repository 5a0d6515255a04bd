"""What a decision is made of: its vocabulary (`Reason`, `Decision`, a rollout's key) and its
inputs (`EnvironmentView`: an environment's desired releases, agent, work in flight, attempts
and open circuits). `decisions.py` decides over them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from fasit.agents import Action, ReleaseState
from fasit.backoff import Backoff
from fasit.plan import DesiredRelease
from fasit.reconcile.deploys import Deploy, HashHistory

__all__ = [
    "DEPLOY_RETRY",
    "AgentView",
    "Circuit",
    "Decision",
    "EnvironmentView",
    "Reason",
    "RolloutKey",
]


DEPLOY_RETRY = Backoff(initial=30.0, maximum=900.0, jitter=0.0, attempts=8)
"""When a failed deploy or uninstall of one hash is tried again: 30 s doubling to 900 s,
exact (decisions are pure and repeatable), and after 8 failures no more until the hash changes
(docs/reconcile.md, Limits)."""


class Reason(StrEnum):
    """Why a release is (not) acted on; the decision log's vocabulary."""

    DISABLED = "disabled"
    KIND_MISMATCH = "kind-mismatch"
    MISSING_DEPENDENCY = "missing-dependency"
    CHART_UNAVAILABLE = "chart-unavailable"
    RENDER_ERROR = "render-error"
    MISSING_CONFIG = "missing-config"
    VALUES_INVALID = "values-invalid"
    AGENT_OFFLINE = "agent-offline"
    IN_PROGRESS = "in-progress"
    WAITING_DEPENDENCY = "waiting-dependency"
    BACKOFF = "backoff"
    CIRCUIT_OPEN = "circuit-open"
    UNCHANGED = "unchanged"
    DEPLOY = "deploy"
    QUEUED = "queued"
    """Would deploy, but a limit holds it back this pass (see limits.py)."""
    WAITING_WAVE = "waiting-wave"
    """Would deploy, but the change has not passed the waves before this one (waves.py)."""
    HALTED = "halted"
    """Would deploy, but the change failed in an earlier wave (waves.py)."""
    PAUSED = "paused"
    """Would deploy, but its Rollout or its assignment is paused (waves.py)."""
    ORPHAN = "orphan"
    PRUNE_REFUSED = "prune-refused"
    """An orphan `prune: true` would uninstall, but the fleet's prune budget is spent
    (see prune_budget.py)."""
    PROTECTED = "protected"
    """An orphan whose Feature has `protected: true`: never uninstalled, whatever prune says."""
    UNINSTALL = "uninstall"

    @property
    def sends(self) -> bool:
        return self in (Reason.DEPLOY, Reason.UNINSTALL)


RolloutKey = tuple[str, str, str]
"""(feature, version, chart digest): what one rollout of a feature sends everywhere.

Release hashes differ per environment (values name the environment), so the circuit breaker
counts failures of a rollout, and only failures of each environment's current hash.
"""


@dataclass(frozen=True, slots=True)
class Decision:
    """One release's decision. `attempt` numbers a send (deploy, uninstall) of its hash."""

    environment: str
    feature: str
    reason: Reason
    message: str
    version: str = ""
    """The desired version (for an orphan: the running one)."""
    release_hash: str = ""
    """The desired hash (for an orphan: the running one)."""
    attempt: int = 0
    namespace: str = ""
    due: datetime | None = None
    """When time alone may change this decision (a retry becomes due, a deadline passes)."""
    from_version: str = ""
    """The version running when it was decided ("" when nothing runs): a deploy's
    `from_version`, so the deploy reads as the change this decision made."""

    @property
    def action(self) -> Action:
        return Action.UNINSTALL if self.reason is Reason.UNINSTALL else Action.INSTALL

    @property
    def record(self) -> tuple[str, str, str, str]:
        """What makes a new row in the decision log when it changes."""
        return (self.reason.value, self.message, self.version, self.release_hash)


@dataclass(frozen=True, slots=True)
class AgentView:
    """The environment's agent as the reconciler knows it."""

    connected: bool
    session_id: str = ""
    releases: Mapping[str, ReleaseState] | None = None
    """What runs, by release name; None when the agent could not list its releases."""
    inventory_error: str = ""
    last_seen: datetime | None = None


@dataclass(frozen=True, slots=True)
class Circuit:
    """A rollout that failed in too many environments: not sent to more until it changes."""

    key: RolloutKey
    failures: tuple[tuple[str, str], ...]
    """(environment, error) of each environment whose current hash failed."""

    @property
    def message(self) -> str:
        feature, version, _ = self.key
        listed = "; ".join(f"{env}: {error or 'failed'}" for env, error in self.failures)
        return (
            f"circuit open: {feature} {version} failed in {len(self.failures)} environments "
            f"({listed}); not sent to more until a new revision changes it"
        )


@dataclass(frozen=True, slots=True)
class EnvironmentView:
    """Everything one environment's decisions depend on."""

    environment: str
    desired: Mapping[str, DesiredRelease]
    """By feature; every release a winning assignment plans here, whatever its status."""
    now: datetime
    agent: AgentView | None = None
    in_flight: Mapping[str, Deploy] = field(default_factory=dict)
    """Unfinished instructions by feature."""
    history: Mapping[tuple[str, str], HashHistory] = field(default_factory=dict)
    """Attempts by (feature, attempt key)."""
    known: bool = True
    """The environment is in the state repository with `reconcile: true`."""
    features: frozenset[str] = frozenset()
    prune: frozenset[str] = frozenset()
    protected: frozenset[str] = frozenset()
    """Registered features never uninstalled (fasit's own agent), whatever `prune` says."""
    circuits: Mapping[RolloutKey, Circuit] = field(default_factory=dict)
    retry: Backoff = DEPLOY_RETRY
