"""Exponential backoff: how long to wait after the n-th consecutive failure, and when to stop.

One policy for every retry in fasit: the git source's polls, the chart registries' requests,
notification posts and the reconciler's deploys each hold a `Backoff` with their own numbers.
Pure: it reads no clock and sleeps never; the caller counts failures and waits. (naisd keeps
its own: it ships alone.)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta

__all__ = ["Backoff"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """`initial`·`factor`ⁿ⁻¹ seconds after the n-th failure, at most `maximum`, less jitter.

    Each delay is shortened by up to `jitter` (a share, 0 to 1), so a fleet of controllers
    that lost the same remote does not retry in step; 0 makes delays exact. After `attempts`
    consecutive failures (None: never) it gives up, and `next_attempt` says so with None.

        Backoff(initial=1, maximum=10, jitter=0).delay(n) for n in 1..5 → 1, 2, 4, 8, 10
    """

    initial: float = 1.0
    maximum: float = 60.0
    jitter: float = 0.25
    _: KW_ONLY
    factor: float = 2.0
    attempts: int | None = None
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (
            self.initial <= 0
            or self.factor < 1
            or self.maximum < self.initial
            or not 0 <= self.jitter <= 1
            or (self.attempts is not None and self.attempts < 1)
        ):
            raise ValueError(
                "a backoff needs initial > 0, factor >= 1, maximum >= initial, jitter from 0 "
                f"to 1 and attempts >= 1 (or None), got {self}"
            )

    def delay(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th consecutive failure (1 for the first)."""
        if failures < 1:
            return 0.0
        # Bounded exponent: factor ** 1000 would overflow long before the maximum matters.
        ceiling = min(self.maximum, self.initial * self.factor ** min(failures - 1, 64))
        if not self.jitter:
            return float(ceiling)
        return ceiling * (1 - self.jitter * self.random())

    def gave_up(self, failures: int) -> bool:
        """Whether `failures` consecutive failures used up every attempt."""
        return self.attempts is not None and failures >= self.attempts

    def next_attempt(self, failures: int, last_failed_at: datetime) -> datetime | None:
        """When to try again after `failures` failures, the last at `last_failed_at`; None
        once it gave up."""
        if self.gave_up(failures):
            return None
        return last_failed_at + timedelta(seconds=self.delay(failures))
