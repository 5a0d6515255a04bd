"""Reconnect delays: exponential, capped, with jitter so a fleet does not reconnect in step."""

from __future__ import annotations

import random
from collections.abc import Iterable

from fasit_proto.agent.v1 import RETRY_AFTER_METADATA

__all__ = ["Backoff", "retry_after"]


def retry_after(trailing_metadata: Iterable[tuple[str, str | bytes]] | None) -> float:
    """Seconds the controller asked a refused agent to wait (0 when it did not ask).

    >>> retry_after([("fasit-retry-after-ms", "2500")])
    2.5
    """
    for key, value in trailing_metadata or ():
        if key == RETRY_AFTER_METADATA:
            text = value.decode() if isinstance(value, bytes) else value
            try:
                return max(0.0, int(text) / 1000)
            except ValueError:
                return 0.0  # a garbled hint is no reason to stop reconnecting
    return 0.0


class Backoff:
    """Delays of `initial`·`multiplier`ⁿ seconds, capped at `maximum`, each drawn uniformly
    from its upper half ("equal jitter": spread out, but never a tight loop near zero).

    >>> b = Backoff(initial=1, maximum=8, rng=random.Random(0))
    >>> [round(b.next_delay(), 2) for _ in range(5)]
    [0.92, 1.76, 2.84, 5.04, 6.05]
    """

    def __init__(
        self,
        initial: float = 0.5,
        maximum: float = 30.0,
        multiplier: float = 2.0,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < initial <= maximum or multiplier < 1:
            raise ValueError(
                f"backoff needs 0 < initial <= maximum and multiplier >= 1, got"
                f" initial={initial}, maximum={maximum}, multiplier={multiplier}"
            )
        self._initial = initial
        self._maximum = maximum
        self._multiplier = multiplier
        self._rng = rng or random.Random()
        self._attempt = 0

    def next_delay(self) -> float:
        ceiling = min(self._maximum, self._initial * self._multiplier**self._attempt)
        self._attempt += 1
        return self._rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        """After a session was welcomed: the next failure starts from `initial` again."""
        self._attempt = 0
