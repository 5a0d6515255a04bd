"""Reconnect delays: growing, capped, jittered, reset after a good session."""

from __future__ import annotations

import random

import pytest

from naisd.backoff import Backoff, retry_after


def test_delays_double_up_to_the_maximum_each_drawn_from_its_upper_half() -> None:
    backoff = Backoff(initial=1, maximum=8, rng=random.Random(7))

    delays = [backoff.next_delay() for _ in range(6)]

    ceilings = [1, 2, 4, 8, 8, 8]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))


def test_jitter_spreads_agents_that_failed_together() -> None:
    firsts = {Backoff(initial=1, rng=random.Random(seed)).next_delay() for seed in range(20)}

    assert len(firsts) == 20


def test_reset_starts_again_from_the_initial_delay() -> None:
    backoff = Backoff(initial=1, maximum=30, rng=random.Random(1))
    for _ in range(5):
        backoff.next_delay()

    backoff.reset()

    assert backoff.next_delay() <= 1


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="0 < initial <= maximum"):
        Backoff(initial=10, maximum=1)


@pytest.mark.parametrize(
    ("metadata", "seconds"),
    [
        pytest.param((("fasit-retry-after-ms", "2500"),), 2.5, id="asked"),
        pytest.param((("fasit-retry-after-ms", b"400"),), 0.4, id="as bytes"),
        pytest.param((("other", "9"),), 0.0, id="not asked"),
        pytest.param(None, 0.0, id="no metadata"),
        pytest.param((("fasit-retry-after-ms", "soon"),), 0.0, id="garbled"),
    ],
)
def test_a_refused_agent_waits_as_long_as_the_controller_asked(
    metadata: tuple[tuple[str, str | bytes], ...] | None, seconds: float
) -> None:
    assert retry_after(metadata) == seconds
