"""Two agents with one token: when an environment's session keeps swapping, hold the live one.

A newer session replaces the older (docs/agent-protocol.md, "One session"), which is right for
an agent that restarted but makes two agents with the same token take the session from each
other forever. `Contest` counts the swaps of one environment; once `limit` fall within
`window` seconds the environment is contested: the hub warns once, naming both peers, and
refuses every new session while a live one holds, each refusal asking the agent to wait
longer (`initial` doubling up to `maximum`). The live session ending (the stray was stopped,
or the holder died) ends the contest. Pure: the hub passes the monotonic time in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

__all__ = ["Contest", "ContestPolicy", "Contests", "contested_warning", "refusal_details"]


@dataclass(frozen=True, slots=True)
class ContestPolicy:
    limit: int = 3
    """Swaps within `window` that make an environment contested."""
    window: float = 10.0
    initial: float = 10.0
    """Seconds the first refused agent is asked to wait; each refusal doubles it."""
    maximum: float = 300.0

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0 or not 0 < self.initial <= self.maximum:
            raise ValueError(
                f"a contest policy needs limit >= 1 and 0 < initial <= maximum: {self}"
            )


@dataclass(slots=True)
class Contest:
    """One environment's swaps and refusals."""

    policy: ContestPolicy
    contested: bool = False
    refusals: int = 0
    _swaps: deque[float] = field(default_factory=deque)

    def swapped(self, now: float) -> bool:
        """Record a replacement; True when it makes the environment contested (warn then)."""
        swaps = self._swaps
        swaps.append(now)
        while swaps and swaps[0] < now - self.policy.window:
            swaps.popleft()
        if self.contested or len(swaps) < self.policy.limit:
            return False
        self.contested = True
        return True

    def refuse(self) -> float | None:
        """Seconds a new session must wait, or None when it may replace the live one."""
        if not self.contested:
            return None
        policy = self.policy
        delay: float = min(policy.initial * 2.0 ** min(self.refusals, 32), policy.maximum)
        self.refusals += 1
        return delay

    def ended(self) -> None:
        """The live session ended: the next session is welcome, and swaps count afresh."""
        self.contested = False
        self.refusals = 0
        self._swaps.clear()


class Contests:
    """Every environment's `Contest`, made on first use."""

    def __init__(self, policy: ContestPolicy) -> None:
        self.policy = policy
        self._by_environment: dict[str, Contest] = {}

    def __getitem__(self, environment: str) -> Contest:
        contest = self._by_environment.get(environment)
        if contest is None:
            contest = self._by_environment[environment] = Contest(self.policy)
        return contest


def contested_warning(environment: str, policy: ContestPolicy, older: str, newer: str) -> str:
    return (
        f"two agents share the token of {environment}: the session swapped {policy.limit} "
        f"times within {policy.window:g} s between {older} and {newer}; {newer} keeps it and "
        "new sessions are refused with a growing delay until it ends. Stop the stray agent, "
        "or give it its own environment and token"
    )


def refusal_details(environment: str, live_peer: str, delay: float) -> str:
    return (
        f"another agent holds the session of {environment} (from {live_peer}) and the two "
        f"keep replacing each other: retry in {delay:g} s"
    )
