"""The commit status of a revision's progress: state, and a description within 140 chars."""

from __future__ import annotations

from datetime import UTC, datetime

from fasit.github import MAX_DESCRIPTION, CommitState, describe
from fasit.plan import ChangeKind
from fasit.state import Revision
from fasit.web import Progress, ReleaseProgress, ReleaseState, Verdict

REVISION = Revision("ab" * 20, "git@github.com:nais/state.git", datetime(2026, 12, 5, tzinfo=UTC))


def release(environment: str, state: ReleaseState, status: str = "") -> ReleaseProgress:
    return ReleaseProgress(environment, "web", ChangeKind.UPGRADE, state, status, "")


def test_pending_says_how_many_releases_roll_out_not_which_step() -> None:
    progress = Progress(
        REVISION,
        Verdict.PENDING,
        "1 of 2 done; waiting for nav/prod web SENT",
        (
            release("nav/dev", ReleaseState.DONE),
            release("nav/prod", ReleaseState.PENDING),
            release("nav/test", ReleaseState.IGNORED),
        ),
    )

    status = describe(progress, "https://fasit/revisions#revision-x")

    assert (status.state, status.description, status.target_url) == (
        CommitState.PENDING,
        "rolling out 2 release(s)",
        "https://fasit/revisions#revision-x",
    )


def test_pending_before_the_reconciler_decided_says_so() -> None:
    progress = Progress(REVISION, Verdict.PENDING, "the reconciler has not decided over it yet")

    assert describe(progress).description == "the reconciler has not decided over it yet"


def test_success_says_what_was_deployed() -> None:
    progress = Progress(REVISION, Verdict.DONE, "nothing to deploy")

    assert (describe(progress).state, describe(progress).description) == (
        CommitState.SUCCESS,
        "deployed: nothing to deploy",
    )


def test_a_long_failure_is_cut_to_githubs_limit_with_an_ellipsis() -> None:
    summary = "3 failed: " + "; ".join(f"nav/env{i} web FAILED ({'x' * 60})" for i in range(3))
    progress = Progress(REVISION, Verdict.FAILED, summary)

    status = describe(progress)

    assert status.state is CommitState.FAILURE
    assert len(status.description) == MAX_DESCRIPTION
    assert status.description == summary[: MAX_DESCRIPTION - 1] + "…"
