"""Backoff: exponential delays with a maximum and jitter, and a limit of attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fasit.backoff import Backoff
from fasit.reconcile.decision_inputs import DEPLOY_RETRY

FAILED_AT = datetime(2026, 11, 21, tzinfo=UTC)


def test_delays_double_after_each_failure_up_to_the_maximum() -> None:
    backoff = Backoff(initial=1, maximum=10, jitter=0.25, random=lambda: 0.0)

    assert [backoff.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_delays_grow_by_the_factor() -> None:
    backoff = Backoff(initial=10, maximum=100, jitter=0.0, factor=3)

    assert [backoff.delay(n) for n in range(1, 6)] == [10, 30, 90, 100, 100]


def test_no_failure_means_no_wait() -> None:
    assert Backoff().delay(0) == 0.0


def test_jitter_only_shortens_a_delay() -> None:
    backoff = Backoff(initial=4, maximum=60, jitter=0.25, random=lambda: 1.0)

    assert backoff.delay(1) == 3.0


def test_a_huge_failure_count_stays_at_the_maximum() -> None:
    assert Backoff(initial=30, maximum=900, jitter=0.0).delay(10_000) == 900


def test_the_next_attempt_is_the_delay_after_the_last_failure() -> None:
    backoff = Backoff(initial=30, maximum=900, jitter=0.0, attempts=8)

    assert backoff.next_attempt(2, FAILED_AT) == FAILED_AT + timedelta(seconds=60)


def test_there_is_no_next_attempt_once_the_attempts_are_used_up() -> None:
    backoff = Backoff(jitter=0.0, attempts=2)

    assert (backoff.gave_up(2), backoff.next_attempt(2, FAILED_AT)) == (True, None)


def test_a_backoff_without_a_limit_never_gives_up() -> None:
    assert Backoff().next_attempt(10**6, FAILED_AT) is not None


def test_deploys_retry_30_s_doubling_to_900_s_eight_times_as_docs_reconcile_says() -> None:
    delays = [DEPLOY_RETRY.delay(n) for n in range(1, 8)]

    assert (delays, DEPLOY_RETRY.attempts) == ([30, 60, 120, 240, 480, 900, 900], 8)


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param({"initial": 0}, id="no initial delay"),
        pytest.param({"factor": 0.5}, id="a shrinking factor"),
        pytest.param({"initial": 10, "maximum": 5}, id="a maximum below the initial delay"),
        pytest.param({"jitter": 1.5}, id="jitter beyond the whole delay"),
        pytest.param({"attempts": 0}, id="no attempt at all"),
    ],
)
def test_a_nonsensical_backoff_is_refused(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="a backoff needs"):
        Backoff(**arguments)  # type: ignore[arg-type]
