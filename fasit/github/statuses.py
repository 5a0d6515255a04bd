"""Posting one commit status to GitHub (`POST /repos/{owner}/{repo}/statuses/{sha}`), with
retries on 5xx, on no answer and on rate limits (403/429 with `Retry-After` or
`X-RateLimit-Reset`), all within one overall deadline.

Blocking (requests): the reporter calls it on a worker thread, never on the event loop. The
token is sent and never logged, shown or kept in a repr; a refusal is logged with its status.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import requests

from fasit.github.repository import GitHubRepository

__all__ = [
    "CONTEXT",
    "MAX_DESCRIPTION",
    "CommitState",
    "CommitStatus",
    "StatusClient",
    "retry_delay",
]

logger = logging.getLogger(__name__)

CONTEXT = "fasit"
MAX_DESCRIPTION = 140
"""GitHub refuses a longer description (422)."""
_LONGEST_WAIT = 60.0
"""A rate limit that resets later than this is not waited for: the status is dropped."""


class CommitState(StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILURE = "failure"


@dataclass(frozen=True, slots=True)
class CommitStatus:
    """One status for one commit, as GitHub takes it."""

    state: CommitState
    description: str
    target_url: str = ""

    def __post_init__(self) -> None:
        if len(self.description) > MAX_DESCRIPTION:
            raise ValueError(f"a commit status description is at most {MAX_DESCRIPTION} chars")

    def body(self) -> dict[str, str]:
        body = {"state": self.state.value, "description": self.description, "context": CONTEXT}
        if self.target_url:
            body["target_url"] = self.target_url
        return body


def retry_delay(
    status: int | None, headers: Mapping[str, str], attempt: int, now: float
) -> float | None:
    """Seconds to wait before trying again, or None when trying again cannot help.

    `status` None means no answer (a connection error, a timeout); `attempt` counts from 0;
    `now` is the epoch time `X-RateLimit-Reset` is measured against.

    | answer | retried after |
    |---|---|
    | no answer, 5xx | 1 s, 2 s, 4 s, … (at most 30 s) |
    | 403 or 429 with `Retry-After: N` | N s |
    | 403 or 429 with `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset: T` | until T |
    | 429 otherwise | as a 5xx |
    | any other | not retried (a 403 without a limit is a token that may not do this) |
    """
    backoff = min(2.0**attempt, 30.0)
    if status is None or status >= 500:
        return backoff
    if status not in (403, 429):
        return None
    lowered = {key.lower(): value for key, value in headers.items()}
    retry_after = lowered.get("retry-after", "")
    if retry_after.strip().isdigit():
        return float(retry_after)
    reset = lowered.get("x-ratelimit-reset", "")
    if lowered.get("x-ratelimit-remaining") == "0" and reset.strip().isdigit():
        return max(0.0, float(reset) - now)
    return backoff if status == 429 else None


@dataclass
class StatusClient:
    """Posts commit statuses to the GitHub API at `api_url` with `token`."""

    api_url: str
    token: str = field(repr=False)
    deadline: float = 120.0
    """Seconds one status may take in all, retries and waits included."""
    attempts: int = 6
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    epoch: Callable[[], float] = time.time
    request_timeout: float = 10.0

    def post(self, repository: GitHubRepository, sha: str, status: CommitStatus) -> bool:
        """Set `status` on commit `sha`; False (logged) when GitHub did not take it in time."""
        url = f"{self.api_url.rstrip('/')}/repos/{repository}/statuses/{sha}"
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "fasit",
        }
        ends = self.clock() + self.deadline
        extra = {"revision": sha, "repository": str(repository), "state": status.state.value}
        for attempt in range(self.attempts):
            answer: int | None = None
            answered: Mapping[str, str] = {}
            remaining = ends - self.clock()
            try:
                response = requests.post(
                    url,
                    json=status.body(),
                    headers=headers,
                    timeout=max(0.1, min(self.request_timeout, remaining)),
                )
                answer, answered = response.status_code, response.headers
            except requests.RequestException:
                pass  # no answer: retried like a 5xx
            if answer is not None and 200 <= answer < 300:
                return True
            delay = retry_delay(answer, answered, attempt, self.epoch())
            if delay is None:
                logger.warning("GitHub refused the commit status (%s)", answer, extra=extra)
                return False
            last = attempt == self.attempts - 1
            if last or delay > min(_LONGEST_WAIT, ends - self.clock()):
                break
            self.sleep(delay)
        logger.warning("GitHub did not take the commit status in time", extra=extra)
        return False
