"""Exponential backoff with jitter, for retrying a remote that is down."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Backoff"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays of `initial`·2ⁿ seconds, capped at `maximum`, each shortened by up to `jitter`.

    The jitter keeps a fleet of controllers that lost the same remote from retrying in step.
    """

    initial: float = 1.0
    maximum: float = 60.0
    jitter: float = 0.25
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (0 for the first retry)."""
        ceiling: float = min(self.maximum, self.initial * 2.0 ** min(attempt, 32))
        return ceiling * (1 - self.jitter * self.random())
