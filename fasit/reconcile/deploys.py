"""The deploy log's records: one instruction's life, and the attempts of one release hash.

An instruction goes sent → installing (or uninstalling) once the agent acknowledges it →
deployed, failed or uninstalled. Every transition is one row of the deploy log; `Deploy` is
the latest row of one instruction id. Plain frozen data, shared by the reconciler, the status
store and the status ladder.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from fasit.agents import Action

__all__ = ["Deploy", "DeployState", "HashHistory", "attempt_key"]


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

    @property
    def in_flight(self) -> bool:
        return self.state.in_flight

    @property
    def attempt_key(self) -> str:
        return attempt_key(self.action, self.release_hash)

    def moved(self, state: DeployState, at: datetime, error: str = "") -> Deploy:
        return replace(self, state=state, updated_at=at, error=error, timed_out=False)


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
