"""RetryPolicy: exponential backoff with a cap, and a limit of attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fasit.reconcile import RetryPolicy

FAILED_AT = datetime(2026, 11, 21, tzinfo=UTC)


def test_delays_grow_by_the_factor_up_to_the_cap() -> None:
    policy = RetryPolicy(base=10, factor=3, cap=100, max_attempts=10)

    assert [policy.delay(n) for n in range(1, 6)] == [10, 30, 90, 100, 100]


def test_the_next_attempt_is_the_delay_after_the_last_failure() -> None:
    policy = RetryPolicy(base=30, factor=2)

    assert policy.next_attempt(2, FAILED_AT) == FAILED_AT + timedelta(seconds=60)


def test_there_is_no_next_attempt_after_max_attempts_failures() -> None:
    assert RetryPolicy(max_attempts=2).next_attempt(2, FAILED_AT) is None


def test_a_huge_failure_count_stays_at_the_cap() -> None:
    assert RetryPolicy(cap=900, max_attempts=10**6).delay(10_000) == 900


@pytest.mark.parametrize(
    "arguments",
    [
        {"base": 0},
        {"factor": 0.5},
        {"base": 10, "cap": 5},
        {"max_attempts": 0},
    ],
)
def test_a_nonsensical_policy_is_refused(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="retry policy needs"):
        RetryPolicy(**arguments)  # type: ignore[arg-type]
