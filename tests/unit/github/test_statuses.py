"""When a commit status is tried again, and what one looks like on the wire."""

from __future__ import annotations

import pytest

from fasit.github import CommitState, CommitStatus, retry_delay

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("status", "headers", "attempt", "delay"),
    [
        (None, {}, 0, 1.0),
        (502, {}, 0, 1.0),
        (503, {}, 2, 4.0),
        (500, {}, 9, 30.0),
        (429, {"Retry-After": "7"}, 0, 7.0),
        (403, {"retry-after": "3"}, 4, 3.0),
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 42)}, 0, 42.0),
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) - 5)}, 0, 0.0),
        (429, {}, 1, 2.0),
        (403, {}, 0, None),
        (401, {}, 0, None),
        (404, {}, 0, None),
        (422, {"Retry-After": "1"}, 0, None),
    ],
    ids=[
        "no answer backs off",
        "a 502 backs off",
        "backoff doubles",
        "backoff is capped at 30 s",
        "429 waits Retry-After",
        "403 with Retry-After waits it",
        "a spent rate limit waits for its reset",
        "a reset already past retries at once",
        "429 without a hint backs off",
        "403 without a limit is a token that may not",
        "401 is not retried",
        "404 is not retried",
        "422 is not retried whatever it says",
    ],
)
def test_retry_delay(
    status: int | None, headers: dict[str, str], attempt: int, delay: float | None
) -> None:
    assert retry_delay(status, headers, attempt, NOW) == delay


def test_a_status_carries_the_fasit_context_and_its_link() -> None:
    status = CommitStatus(CommitState.PENDING, "rolling out 2 release(s)", "https://f/revisions")

    assert status.body() == {
        "state": "pending",
        "description": "rolling out 2 release(s)",
        "context": "fasit",
        "target_url": "https://f/revisions",
    }


def test_a_description_over_140_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 140"):
        CommitStatus(CommitState.FAILURE, "x" * 141)
