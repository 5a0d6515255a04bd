"""When a failed release is tried again: exponential backoff with a cap and a limit.

Pure: the policy turns (consecutive failures, time of the last one) into the time of the next
attempt, or None when it has given up. A new release hash starts from zero (the caller counts
failures per hash).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """base * factor ** (failures - 1) seconds after the last failure, at most `cap`.

    After `max_attempts` failures of one release hash it stops: a new hash (a change in the
    state repository, or a `redeploy` token) is the way to try again.
    """

    base: float = 30.0
    factor: float = 2.0
    cap: float = 900.0
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.base <= 0 or self.factor < 1 or self.cap < self.base or self.max_attempts < 1:
            raise ValueError(
                "retry policy needs base > 0, factor >= 1, cap >= base and max_attempts >= 1, "
                f"got {self}"
            )

    def delay(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th consecutive failure."""
        if failures < 1:
            return 0.0
        # Bounded exponent: factor ** 1000 would overflow long before the cap matters.
        exponent = min(failures - 1, 64)
        return float(min(self.cap, self.base * self.factor**exponent))

    def next_attempt(self, failures: int, last_failed_at: datetime) -> datetime | None:
        """When to try again, or None once `max_attempts` failures were reached."""
        if failures >= self.max_attempts:
            return None
        return last_failed_at + timedelta(seconds=self.delay(failures))
