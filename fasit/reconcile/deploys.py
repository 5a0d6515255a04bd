"""The deploy log's records: one instruction's life, and the attempts of one release hash.

An instruction goes sent → installing (or uninstalling) once the agent acknowledges it →
deployed, failed or uninstalled. Every transition is one row of the deploy log; `Deploy` is
the latest row of one instruction id. It records the version it replaces, so it reads as the
change its decision made (`upgrade 1.1.0 → 1.2.0`), not as helm's bare action. Plain frozen
data, shared by the reconciler, the status store and the status ladder.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from fasit.agents import Action

__all__ = [
    "Deploy",
    "DeployChange",
    "DeployState",
    "HashHistory",
    "attempt_key",
    "change_summary",
]


class DeployState(StrEnum):
    SENT = "sent"
    """Queued for the agent's stream; not yet acknowledged."""
    INSTALLING = "installing"
    """The agent acknowledged an install and runs (or queued) it."""
    UNINSTALLING = "uninstalling"
    """The agent acknowledged an uninstall."""
    DEPLOYED = "deployed"
    FAILED = "failed"
    UNINSTALLED = "uninstalled"

    @property
    def in_flight(self) -> bool:
        return self in _IN_FLIGHT


_IN_FLIGHT = frozenset({DeployState.SENT, DeployState.INSTALLING, DeployState.UNINSTALLING})


@dataclass(frozen=True, slots=True)
class Deploy:
    """One instruction as far as it got: the latest row of its id in the deploy log."""

    instruction_id: str
    environment: str
    feature: str
    """The release name (a release is named after its feature)."""
    action: Action
    version: str
    release_hash: str
    """For an uninstall, the hash of the release it removes."""
    revision: str
    attempt: int
    state: DeployState
    sent_at: datetime
    updated_at: datetime
    deadline: datetime
    """When an unfinished instruction counts as failed (feature timeout + margin)."""
    namespace: str = ""
    session_id: str = ""
    """The agent session it was queued for: unacknowledged work of an ended session is resent."""
    error: str = ""
    timed_out: bool = False
    """Failed by the controller at its deadline; a late result from the agent still counts."""
    from_version: str = ""
    """The version running when it was decided ("" when nothing ran): what it upgrades."""

    @property
    def in_flight(self) -> bool:
        return self.state.in_flight

    @property
    def attempt_key(self) -> str:
        return attempt_key(self.action, self.release_hash)

    @property
    def change(self) -> DeployChange:
        return _change_of(self.action, self.from_version, self.version)

    @property
    def summary(self) -> str:
        """What it does, as its decision said it: `upgrade 1.1.0 → 1.2.0`, `install 1.2.0`."""
        return change_summary(self.action, self.from_version, self.version)

    def moved(self, state: DeployState, at: datetime, error: str = "") -> Deploy:
        return replace(self, state=state, updated_at=at, error=error, timed_out=False)


class DeployChange(StrEnum):
    """What an instruction does to the release, by what ran before it."""

    INSTALL = "install"
    """Nothing ran."""
    UPGRADE = "upgrade"
    """Another version ran (a lower one too: helm upgrades either way)."""
    REDEPLOY = "redeploy"
    """The same version ran (other values, a redeploy token, drift, a failed release)."""
    UNINSTALL = "uninstall"


def _change_of(action: Action, from_version: str, version: str) -> DeployChange:
    if action is Action.UNINSTALL:
        return DeployChange.UNINSTALL
    if not from_version:
        return DeployChange.INSTALL
    return DeployChange.UPGRADE if from_version != version else DeployChange.REDEPLOY


def change_summary(action: Action, from_version: str, version: str) -> str:
    """`install 1.2.0`, `upgrade 1.1.0 → 1.2.0`, `redeploy 1.2.0`, `uninstall 1.2.0`: the one
    wording of a change, for the decision that makes it and the deploy that carries it out."""
    change = _change_of(action, from_version, version)
    if change is DeployChange.UPGRADE:
        return f"upgrade {from_version} → {version}"
    return f"{change.value} {version}"


def attempt_key(action: Action, release_hash: str) -> str:
    """What attempts are counted by: the release hash, with uninstalls counted apart.

    It also goes into the instruction id, so an uninstall never shares an id with the install
    of the same hash.
    """
    return release_hash if action is Action.INSTALL else f"uninstall/{release_hash}"


@dataclass(frozen=True, slots=True)
class HashHistory:
    """The attempts at one attempt key of one (environment, feature)."""

    attempts: int = 0
    """Instructions sent; the next one is attempt `attempts + 1` (its id is new)."""
    failures: int = 0
    """Consecutive failures since the last success."""
    last_failed_at: datetime | None = None
    last_error: str = ""

    def sent(self, attempt: int) -> HashHistory:
        return replace(self, attempts=max(self.attempts, attempt))

    def finished(self, succeeded: bool, at: datetime, error: str) -> HashHistory:
        if succeeded:
            return replace(self, failures=0, last_failed_at=None, last_error="")
        return replace(self, failures=self.failures + 1, last_failed_at=at, last_error=error)
