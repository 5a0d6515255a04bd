"""A revision's rollout progress: which releases it changed, and where each of them stands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import pytest

from fasit.plan import ChangeKind, PlanChanges
from fasit.reconcile import Reason, ReleaseView, Status
from fasit.state import Outcome, Problem, ProblemCode, Revision, RevisionRecord
from fasit.web.progress import (
    AmbiguousRevision,
    Progress,
    ReleaseState,
    Verdict,
    find_revision,
    revision_progress,
)
from fasit.web.query import NotFound

AT = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
A, B, C = "a" * 40, "b" * 40, "c" * 40
INSTALL, UPGRADE = ChangeKind.INSTALL, ChangeKind.UPGRADE


def revision(id_: str) -> Revision:
    return Revision(id_, "git@example.net:org/state.git", AT, "Ann <ann@example.net>", "bump")


def record(id_: str, outcome: Outcome = Outcome.SERVED, *problems: Problem) -> RevisionRecord:
    return RevisionRecord(revision(id_), outcome, AT, len(problems), 0, problems)


def plan(id_: str, previous: str | None, **affected: ChangeKind) -> PlanChanges:
    """`nav_dev__web=UPGRADE` is (nav/dev, web) upgraded."""
    pairs = {_pair(key): kind for key, kind in affected.items()}
    return PlanChanges(
        revision(id_), None if previous is None else revision(previous), (), len(pairs), pairs
    )


def _pair(key: str) -> tuple[str, str]:
    environment, feature = key.split("__")
    return environment.replace("_", "/", 1), feature


def view(
    pair: str, status: Status, message: str = "", reason: Reason = Reason.UNCHANGED
) -> ReleaseView:
    environment, feature = _pair(pair)
    return ReleaseView(environment, feature, status, reason, "2.0.0", "1.0.0", message, AT)


def progress(
    plans: Sequence[PlanChanges],
    views: Sequence[ReleaseView],
    *,
    wanted: str = A,
    history: Sequence[RevisionRecord] | None = None,
    decided: str | None = None,
    feature: str | None = None,
) -> Progress:
    return revision_progress(
        wanted,
        history=[record(entry.revision.id) for entry in plans] if history is None else history,
        plans=plans,
        releases={(view.environment, view.feature): view for view in views},
        served=plans[0].revision.id if plans else wanted,
        decided=plans[0].revision.id if decided is None else decided,
        feature=feature,
    )


def states(found: Progress) -> Mapping[tuple[str, str], ReleaseState]:
    return {(r.environment, r.feature): r.state for r in found.releases}


BUMP = [plan(A, B, nav_dev__web=UPGRADE, nav_prod__web=UPGRADE)]


def test_every_changed_release_deployed_is_done() -> None:
    found = progress(
        BUMP, [view("nav_dev__web", Status.DEPLOYED), view("nav_prod__web", Status.DEPLOYED)]
    )

    assert (found.verdict, found.summary) == (Verdict.DONE, "2 of 2 done")


def test_a_release_on_its_way_is_pending_and_named() -> None:
    found = progress(
        BUMP, [view("nav_dev__web", Status.DEPLOYED), view("nav_prod__web", Status.INSTALLING)]
    )

    assert found.verdict is Verdict.PENDING
    assert found.summary == "1 of 2 done; waiting for nav/prod web INSTALLING"


@pytest.mark.parametrize(
    "status",
    [
        Status.FAILED,
        Status.CHART_UNAVAILABLE,
        Status.RENDER_ERROR,
        Status.MISSING_CONFIG,
        Status.MISSING_DEPENDENCY,
        Status.VALUES_INVALID,
        Status.PRUNE_REFUSED,
    ],
    ids=lambda status: f"{status.value} fails the rollout",
)
def test_a_release_in_a_problem_status_fails_the_rollout_naming_it(status: Status) -> None:
    found = progress(
        BUMP, [view("nav_dev__web", status, "it broke"), view("nav_prod__web", Status.SENT)]
    )

    assert found.verdict is Verdict.FAILED
    assert found.summary == f"1 failed: nav/dev web {status.value} (it broke)"


def test_a_release_halted_by_its_wave_fails_the_rollout() -> None:
    halted = view("nav_prod__web", Status.PENDING, "halted: nav/dev FAILED", Reason.HALTED)

    found = progress(BUMP, [view("nav_dev__web", Status.DEPLOYED), halted])

    assert found.verdict is Verdict.FAILED
    assert found.summary == "1 failed: nav/prod web PENDING (halted: nav/dev FAILED)"


def test_a_release_waiting_for_its_wave_is_pending() -> None:
    waiting = view(
        "nav_prod__web",
        Status.PENDING,
        "waiting for wave dev: nav/dev deploying",
        Reason.WAITING_WAVE,
    )

    found = progress(BUMP, [view("nav_dev__web", Status.DEPLOYED), waiting])

    assert found.verdict is Verdict.PENDING


def test_a_paused_release_holds_the_rollout_without_failing_it() -> None:
    paused = view(
        "nav_prod__web", Status.PENDING, "paused: freeze (rollouts/x.yaml:4)", Reason.PAUSED
    )

    found = progress(BUMP, [view("nav_dev__web", Status.DEPLOYED), paused])

    assert found.verdict is Verdict.PENDING


def test_an_offline_environment_holds_the_rollout() -> None:
    found = progress(
        BUMP, [view("nav_dev__web", Status.DEPLOYED), view("nav_prod__web", Status.OFFLINE)]
    )

    assert found.verdict is Verdict.PENDING


@pytest.mark.parametrize("status", [Status.DISABLED, Status.KIND_MISMATCH])
def test_releases_that_deploy_nothing_are_ignored(status: Status) -> None:
    found = progress(BUMP, [view("nav_dev__web", Status.DEPLOYED), view("nav_prod__web", status)])

    assert (found.verdict, found.summary) == (Verdict.DONE, "1 of 1 done")
    assert states(found)[("nav/prod", "web")] is ReleaseState.IGNORED


def test_a_revision_that_deploys_nothing_is_done_at_once() -> None:
    found = progress([plan(A, B, nav_dev__web=UPGRADE)], [view("nav_dev__web", Status.DISABLED)])

    assert (found.verdict, found.summary) == (Verdict.DONE, "nothing to deploy")


def test_releases_the_revision_did_not_change_do_not_count() -> None:
    found = progress(
        BUMP,
        [
            view("acme_dev__web", Status.FAILED),
            view("nav_dev__web", Status.DEPLOYED),
            view("nav_prod__web", Status.DEPLOYED),
        ],
    )

    assert found.verdict is Verdict.DONE
    assert set(states(found)) == {("nav/dev", "web"), ("nav/prod", "web")}


def test_a_changed_release_not_decided_yet_is_pending() -> None:
    found = progress(BUMP, [view("nav_dev__web", Status.DEPLOYED)])

    assert found.verdict is Verdict.PENDING
    assert found.summary == "1 of 2 done; waiting for nav/prod web pending"


def test_an_orphan_left_running_is_ignored() -> None:
    found = progress([plan(A, B, nav_dev__web=ChangeKind.ORPHAN)], [])

    assert (found.verdict, states(found)) == (Verdict.DONE, {("nav/dev", "web"): "ignored"})


def test_an_uninstall_is_done_once_the_release_is_gone() -> None:
    pruned = [plan(A, B, nav_dev__web=ChangeKind.UNINSTALL)]

    assert progress(pruned, [view("nav_dev__web", Status.UNINSTALLING)]).verdict is Verdict.PENDING
    assert progress(pruned, [view("nav_dev__web", Status.DEPLOYED)]).verdict is Verdict.PENDING
    assert progress(pruned, [view("nav_dev__web", Status.PRUNE_REFUSED)]).verdict is Verdict.FAILED
    assert progress(pruned, []).verdict is Verdict.DONE


def test_the_views_count_only_once_the_reconciler_decided_over_the_revision() -> None:
    plans = [plan(A, B, nav_dev__web=UPGRADE), plan(B, None, nav_dev__web=INSTALL)]

    found = progress(plans, [view("nav_dev__web", Status.DEPLOYED)], decided=B)

    assert (found.verdict, found.summary) == (
        Verdict.PENDING,
        "the reconciler has not decided over it yet",
    )


def test_a_newer_revision_decided_over_counts_for_an_older_one() -> None:
    plans = [plan(B, A, nav_prod__web=UPGRADE), plan(A, C, nav_dev__web=UPGRADE)]

    found = progress(plans, [view("nav_dev__web", Status.DEPLOYED)], wanted=A, decided=B)

    assert found.verdict is Verdict.DONE


def test_a_release_a_newer_revision_changed_again_is_superseded_not_waited_for() -> None:
    plans = [
        plan(B, A, nav_dev__web=UPGRADE),
        plan(A, C, nav_dev__web=UPGRADE, nav_prod__web=UPGRADE),
    ]

    found = progress(
        plans,
        [view("nav_dev__web", Status.INSTALLING), view("nav_prod__web", Status.DEPLOYED)],
        wanted=A,
    )

    assert found.verdict is Verdict.DONE
    assert states(found) == {
        ("nav/dev", "web"): ReleaseState.SUPERSEDED,
        ("nav/prod", "web"): ReleaseState.DONE,
    }


def test_a_re_plan_of_the_same_revision_adds_to_its_changes() -> None:
    plans = [plan(A, A, nav_prod__web=ChangeKind.REDEPLOY), plan(A, B, nav_dev__web=UPGRADE)]

    found = progress(
        plans, [view("nav_dev__web", Status.DEPLOYED), view("nav_prod__web", Status.SENT)]
    )

    assert states(found) == {
        ("nav/dev", "web"): ReleaseState.DONE,
        ("nav/prod", "web"): ReleaseState.PENDING,
    }


def test_a_revision_served_again_is_judged_by_its_newest_plan() -> None:
    plans = [
        plan(A, B, nav_dev__web=ChangeKind.DOWNGRADE),
        plan(B, A, nav_dev__web=UPGRADE),
        plan(A, None, nav_dev__web=INSTALL, nav_prod__web=INSTALL),
    ]

    found = progress(plans, [view("nav_dev__web", Status.DEPLOYED)], decided=A)

    assert set(states(found)) == {("nav/dev", "web")}
    assert found.verdict is Verdict.DONE


def test_only_the_feature_asked_for_counts() -> None:
    plans = [plan(A, B, nav_dev__web=UPGRADE, nav_dev__api=UPGRADE)]

    found = progress(
        plans,
        [view("nav_dev__api", Status.FAILED), view("nav_dev__web", Status.DEPLOYED)],
        feature="web",
    )

    assert (found.verdict, set(states(found))) == (Verdict.DONE, {("nav/dev", "web")})


def test_a_revision_with_blocking_problems_failed_saying_where() -> None:
    problem = Problem("features/web.yaml", 3, 7, ProblemCode.YAML_SYNTAX, "mapping values")
    history = [record(A, Outcome.FAILED, problem), record(B)]

    found = progress([plan(B, None)], [], history=history)

    assert found.verdict is Verdict.FAILED
    assert found.summary == (
        "never served: 1 blocking problem(s), first features/web.yaml:3:7: mapping values"
    )


def test_the_served_revision_not_planned_yet_is_pending() -> None:
    found = revision_progress(A, history=[record(A)], plans=[], releases={}, served=A, decided="")

    assert (found.verdict, found.summary) == (Verdict.PENDING, "served; being planned")


def test_a_revision_whose_plan_is_no_longer_kept_is_not_found() -> None:
    with pytest.raises(NotFound, match="revision aaaaaaaaaaaa has no plan kept any more"):
        revision_progress(A, history=[record(A)], plans=[], releases={}, served=B, decided=B)


def test_a_unique_prefix_finds_the_full_revision() -> None:
    assert find_revision("aaaa", [record(A)], [plan(B, None)]) == A


def test_an_unknown_prefix_is_not_found() -> None:
    with pytest.raises(NotFound, match="no recent revision starts with 'dd' \\(2 kept\\)"):
        find_revision("dd", [record(A)], [plan(B, None)])


def test_a_prefix_of_several_revisions_is_ambiguous_naming_them() -> None:
    other = "a" * 39 + "f"

    with pytest.raises(AmbiguousRevision, match="'aaa' starts 2 recent revisions"):
        find_revision("aaa", [record(A), record(other)], [])
