"""decide_environment, rung by rung (DESIGN.md §4), and the precedence between the rungs."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from fasit.agents import Action
from fasit.backoff import Backoff
from fasit.plan import DesiredRelease, ReleaseStatus
from fasit.reconcile import (
    AgentView,
    Circuit,
    Decision,
    DeployState,
    Reason,
    decide_environment,
)
from fasit.reconcile.decisions import planner_reason
from tests.unit.reconcile.support import (
    NOW,
    agent,
    failures,
    flight,
    orphan,
    running,
    view,
)

Releases = dict[str, DesiredRelease]


def decided(releases: Releases, feature: str, **changes: object) -> Decision:
    decisions = {d.feature: d for d in decide_environment(view(releases, **changes))}
    return decisions[feature]


def all_running(releases: Releases) -> AgentView:
    return agent(*(running(release) for release in releases.values()))


# -- the planner's verdicts ---------------------------------------------------------------------


VERDICTS = [status for status in ReleaseStatus if status is not ReleaseStatus.PLANNED]


@pytest.mark.parametrize("status", VERDICTS, ids=str)
def test_every_planner_verdict_is_the_decision_of_the_same_name(status: ReleaseStatus) -> None:
    assert planner_reason(status) == Reason(status.value)


def test_a_planned_release_is_left_to_the_rungs_that_follow() -> None:
    assert planner_reason(ReleaseStatus.PLANNED) is None


@pytest.mark.parametrize("status", VERDICTS, ids=str)
def test_a_planner_verdict_is_the_decision_even_with_no_agent_and_work_in_flight(
    releases: Releases, status: ReleaseStatus
) -> None:
    blocked = replace(releases["api"], status=status, message=f"because {status.value}")
    decision = decided(
        {"api": blocked}, "api", agent=None, in_flight={"api": flight(releases["api"])}
    )

    assert (decision.reason.value, decision.message) == (status.value, f"because {status.value}")


# -- the agent ----------------------------------------------------------------------------------


def test_no_agent_ever_connected_is_agent_offline(releases: Releases) -> None:
    decision = decided(releases, "api", agent=None)

    assert decision.reason is Reason.AGENT_OFFLINE
    assert decision.message == "no agent has connected for nav/dev"


def test_a_disconnected_agent_is_agent_offline_with_when_it_was_last_seen(
    releases: Releases,
) -> None:
    gone = replace(all_running(releases), connected=False)

    decision = decided(releases, "api", agent=gone)

    assert decision.reason is Reason.AGENT_OFFLINE
    assert "not connected (last seen 2026-11-21T12:00:00+00:00)" in decision.message


def test_an_agent_that_cannot_list_its_releases_decides_nothing(releases: Releases) -> None:
    blind = AgentView(True, "session-1", None, "helm list: connection refused")

    decision = decided(releases, "api", agent=blind)

    assert decision.reason is Reason.AGENT_OFFLINE
    assert decision.message.endswith("cannot list its releases: helm list: connection refused")


def test_agent_offline_wins_over_work_in_flight(releases: Releases) -> None:
    decision = decided(releases, "api", agent=None, in_flight={"api": flight(releases["api"])})

    assert decision.reason is Reason.AGENT_OFFLINE


# -- in progress --------------------------------------------------------------------------------


def test_no_new_deploy_while_one_is_in_flight_even_of_another_version(
    releases: Releases,
) -> None:
    older = flight(releases["api"], release_hash="sha256:the-previous-version")

    decision = decided(releases, "api", agent=agent(), in_flight={"api": older})

    assert decision.reason is Reason.IN_PROGRESS
    assert decision.message == "deploy of 2.0.0 in flight (id-api-1, attempt 1)"
    assert decision.due == older.deadline


def test_an_unacknowledged_instruction_of_the_live_session_is_in_progress(
    releases: Releases,
) -> None:
    sent = flight(releases["api"], DeployState.SENT)

    assert decided(releases, "api", agent=agent(), in_flight={"api": sent}).reason is (
        Reason.IN_PROGRESS
    )


def test_an_unacknowledged_instruction_of_an_ended_session_is_resent_with_the_same_attempt(
    releases: Releases,
) -> None:
    sent = flight(releases["api"], DeployState.SENT, session="session-0", attempt=2)

    decision = decided(releases, "api", agent=agent(), in_flight={"api": sent})

    assert (decision.reason, decision.attempt) == (Reason.DEPLOY, 2)
    assert decision.message.startswith("resending id-api-2")


def test_an_unacknowledged_instruction_of_another_hash_gives_way_to_a_new_attempt(
    releases: Releases,
) -> None:
    stale = flight(releases["api"], DeployState.SENT, session="session-0", release_hash="sha256:x")

    decision = decided(releases, "api", agent=agent(), in_flight={"api": stale})

    assert (decision.reason, decision.attempt, decision.message) == (
        Reason.DEPLOY,
        1,
        "install 2.0.0",
    )


def test_in_progress_wins_over_waiting_for_a_dependency(releases: Releases) -> None:
    decision = decided(releases, "web", agent=agent(), in_flight={"web": flight(releases["web"])})

    assert decision.reason is Reason.IN_PROGRESS


# -- dependencies -------------------------------------------------------------------------------


def test_a_dependent_waits_until_its_dependency_runs_at_its_desired_hash(
    releases: Releases,
) -> None:
    stale_db = running(releases["db"], release_hash="sha256:older")

    decision = decided(releases, "web", agent=agent(stale_db))

    assert decision.reason is Reason.WAITING_DEPENDENCY
    assert decision.message == "waiting for db to deploy"


def test_a_dependent_waits_while_its_dependency_is_in_flight(releases: Releases) -> None:
    decision = decided(
        releases,
        "web",
        agent=agent(running(releases["db"])),
        in_flight={"db": flight(releases["db"])},
    )

    assert decision.reason is Reason.WAITING_DEPENDENCY


def test_a_dependent_deploys_once_its_dependency_runs(releases: Releases) -> None:
    decision = decided(releases, "web", agent=agent(running(releases["db"])))

    assert (decision.reason, decision.message) == (Reason.DEPLOY, "install 1.0.0")


def test_waiting_for_a_dependency_wins_over_backoff(releases: Releases) -> None:
    web_hash = releases["web"].release_hash or ""

    decision = decided(
        releases, "web", agent=agent(), history={("web", web_hash): failures(1, ago=1)}
    )

    assert decision.reason is Reason.WAITING_DEPENDENCY


# -- backoff ------------------------------------------------------------------------------------


def api_failed(releases: Releases, count: int, ago: float) -> dict[tuple[str, str], object]:
    return {("api", releases["api"].release_hash or ""): failures(count, ago)}


def test_a_failed_release_waits_for_its_backoff(releases: Releases) -> None:
    decision = decided(releases, "api", agent=agent(), history=api_failed(releases, 1, ago=10))

    assert decision.reason is Reason.BACKOFF
    assert decision.message == (
        "failed 1 time (last: helm: UPGRADE FAILED: boom); "
        "next attempt at 2026-11-21T12:00:20+00:00"
    )
    assert decision.due == NOW + timedelta(seconds=20)


def test_the_backoff_doubles_with_each_failure(releases: Releases) -> None:
    decision = decided(releases, "api", agent=agent(), history=api_failed(releases, 3, ago=100))

    assert decision.due == NOW + timedelta(seconds=20)  # 30 * 2**2 = 120 s after the failure


def test_a_failed_release_is_retried_with_a_new_attempt_once_its_backoff_passed(
    releases: Releases,
) -> None:
    decision = decided(releases, "api", agent=agent(), history=api_failed(releases, 1, ago=31))

    assert (decision.reason, decision.attempt) == (Reason.DEPLOY, 2)
    assert decision.message == "retrying 2.0.0 (attempt 2) after: helm: UPGRADE FAILED: boom"


def test_after_max_attempts_a_failed_release_is_not_retried(releases: Releases) -> None:
    decision = decided(
        releases,
        "api",
        agent=agent(),
        history=api_failed(releases, 3, ago=10_000),
        retry=Backoff(initial=30.0, maximum=900.0, jitter=0.0, attempts=3),
    )

    assert decision.reason is Reason.BACKOFF
    assert decision.due is None
    assert "failed 3 times, gave up" in decision.message


def test_backoff_wins_over_unchanged(releases: Releases) -> None:
    decision = decided(
        releases, "api", agent=all_running(releases), history=api_failed(releases, 1, ago=1)
    )

    assert decision.reason is Reason.BACKOFF


def test_failures_of_another_hash_do_not_hold_back_the_desired_one(releases: Releases) -> None:
    decision = decided(
        releases, "api", agent=agent(), history={("api", "sha256:before"): failures(1, ago=1)}
    )

    assert (decision.reason, decision.attempt) == (Reason.DEPLOY, 1)


# -- circuit breaker ----------------------------------------------------------------------------


def api_circuit(releases: Releases) -> dict[tuple[str, str, str], Circuit]:
    api = releases["api"]
    key = ("api", api.version, api.digest or "")
    failed = (("nav/a", "boom"), ("nav/b", "boom"), ("nav/c", "crash"))
    return {key: Circuit(key, failed)}


def test_an_open_circuit_stops_a_rollout_reaching_another_environment(
    releases: Releases,
) -> None:
    decision = decided(releases, "api", agent=agent(), circuits=api_circuit(releases))

    assert decision.reason is Reason.CIRCUIT_OPEN
    assert decision.message == (
        "circuit open: api 2.0.0 failed in 3 environments (nav/a: boom; nav/b: boom; "
        "nav/c: crash); not sent to more until a new revision changes it"
    )


def test_an_open_circuit_leaves_an_environment_that_runs_the_rollout_unchanged(
    releases: Releases,
) -> None:
    decision = decided(releases, "api", agent=all_running(releases), circuits=api_circuit(releases))

    assert decision.reason is Reason.UNCHANGED


def test_an_open_circuit_lets_an_environment_that_failed_retry_after_its_backoff(
    releases: Releases,
) -> None:
    decision = decided(
        releases,
        "api",
        agent=agent(),
        circuits=api_circuit(releases),
        history=api_failed(releases, 1, ago=60),
    )

    assert (decision.reason, decision.attempt) == (Reason.DEPLOY, 2)


# -- unchanged and deploy -----------------------------------------------------------------------


def test_a_release_running_at_its_desired_hash_is_unchanged(releases: Releases) -> None:
    decision = decided(releases, "api", agent=all_running(releases))

    assert (decision.reason, decision.message) == (
        Reason.UNCHANGED,
        "running 2.0.0 at the desired hash",
    )


def test_a_release_not_running_is_installed_as_attempt_one(releases: Releases) -> None:
    decision = decided(releases, "api", agent=agent())

    assert (decision.reason, decision.attempt, decision.message) == (
        Reason.DEPLOY,
        1,
        "install 2.0.0",
    )
    assert decision.release_hash == releases["api"].release_hash


def test_another_version_running_is_upgraded(releases: Releases) -> None:
    older = replace(running(releases["api"], release_hash="sha256:1"), version="1.9.0")

    decision = decided(releases, "api", agent=agent(older))

    assert (decision.reason, decision.message) == (Reason.DEPLOY, "upgrade 1.9.0 → 2.0.0")
    assert decision.from_version == "1.9.0"


def test_a_release_not_running_is_installed_from_nothing(releases: Releases) -> None:
    decision = decided(releases, "api", agent=agent())

    assert (decision.from_version, decision.message) == ("", "install 2.0.0")


def test_drift_of_the_release_hash_is_healed(releases: Releases) -> None:
    drifted = running(releases["api"], release_hash="sha256:changed-by-hand")

    decision = decided(releases, "api", agent=agent(drifted))

    assert decision.reason is Reason.DEPLOY
    assert "runs with another release hash" in decision.message


def test_a_release_helm_reports_failed_is_deployed_again(releases: Releases) -> None:
    decision = decided(releases, "api", agent=agent(running(releases["api"], status="failed")))

    assert (decision.reason, decision.message) == (
        Reason.DEPLOY,
        "2.0.0 is failed: deploy 2.0.0",
    )


def test_a_release_fasit_did_not_deploy_is_adopted(releases: Releases) -> None:
    manual = running(releases["api"], release_hash="")

    decision = decided(releases, "api", agent=agent(manual))

    assert decision.reason is Reason.DEPLOY
    assert decision.message.startswith("adopt api 2.0.0 (not deployed by fasit)")


def test_a_new_deploy_of_a_hash_tried_before_is_the_next_attempt(releases: Releases) -> None:
    api_hash = releases["api"].release_hash or ""
    drifted = running(releases["api"], release_hash="sha256:changed-by-hand")
    tried = failures(0, ago=0, attempts=2)

    decision = decided(
        releases,
        "api",
        agent=agent(drifted),
        history={("api", api_hash): replace(tried, last_failed_at=None)},
    )

    assert decision.attempt == 3


# -- orphans ------------------------------------------------------------------------------------


def orphans_decided(releases: Releases, *extra: object, **changes: object) -> dict[str, Decision]:
    running_all = [running(release) for release in releases.values()]
    base = {"agent": agent(*running_all, *extra)}  # type: ignore[arg-type]
    return {d.feature: d for d in decide_environment(view(releases, **{**base, **changes}))}


def test_a_managed_release_nothing_desires_is_an_orphan_without_prune(
    releases: Releases,
) -> None:
    decision = orphans_decided(releases, orphan("cache"), features=frozenset({"cache"}))["cache"]

    assert (decision.reason, decision.version, decision.namespace) == (
        Reason.ORPHAN,
        "0.1.0",
        "cache",
    )
    assert decision.message == "no assignment reaches nav/dev; cache has prune: false"


def test_an_orphan_with_prune_is_uninstalled(releases: Releases) -> None:
    decision = orphans_decided(
        releases,
        orphan("cache"),
        features=frozenset({"cache"}),
        prune=frozenset({"cache"}),
    )["cache"]

    assert (decision.reason, decision.action, decision.attempt) == (
        Reason.UNINSTALL,
        Action.UNINSTALL,
        1,
    )
    assert decision.release_hash == "sha256:old"


def test_a_protected_orphan_with_prune_is_never_uninstalled(releases: Releases) -> None:
    decision = orphans_decided(
        releases,
        orphan("naisd"),
        features=frozenset({"naisd"}),
        prune=frozenset({"naisd"}),
        protected=frozenset({"naisd"}),
    )["naisd"]

    assert (decision.reason, decision.action) == (Reason.PROTECTED, Action.INSTALL)
    assert not decision.reason.sends
    assert decision.message == (
        "no assignment reaches nav/dev; naisd has protected: true and is never uninstalled"
    )


def test_a_release_of_an_unregistered_feature_is_never_pruned(releases: Releases) -> None:
    decision = orphans_decided(releases, orphan("mystery"), prune=frozenset({"mystery"}))["mystery"]

    assert decision.reason is Reason.ORPHAN
    assert decision.message == (
        "no Feature mystery is registered: an unknown feature is never pruned"
    )


def test_a_release_fasit_does_not_manage_is_no_orphan(releases: Releases) -> None:
    decisions = orphans_decided(releases, orphan("kube-proxy", release_hash=""))

    assert "kube-proxy" not in decisions


def test_nothing_is_pruned_in_an_environment_that_is_not_reconciled(releases: Releases) -> None:
    decision = orphans_decided(
        releases,
        orphan("cache"),
        features=frozenset({"cache"}),
        prune=frozenset({"cache"}),
        known=False,
    )["cache"]

    assert decision.reason is Reason.ORPHAN
    assert "not reconciled" in decision.message


def test_every_prunable_orphan_is_decided_uninstall_and_the_fleet_budget_comes_after(
    releases: Releases,
) -> None:
    names = ["a", "b", "c", "d", "e"]
    decisions = decide_environment(
        view(
            {},
            agent=agent(*(orphan(name) for name in names), running(releases["api"])),
            features=frozenset(names),
            prune=frozenset(names),
        )
    )

    assert {d.reason for d in decisions if d.feature in names} == {Reason.UNINSTALL}


def test_an_uninstall_in_flight_is_in_progress(releases: Releases) -> None:
    cache = orphan("cache")
    uninstalling = replace(
        flight(releases["api"], DeployState.UNINSTALLING, action=Action.UNINSTALL),
        feature="cache",
    )
    decision = orphans_decided(
        releases,
        cache,
        features=frozenset({"cache"}),
        prune=frozenset({"cache"}),
        in_flight={"cache": uninstalling},
    )["cache"]

    assert decision.reason is Reason.IN_PROGRESS


def test_a_failed_uninstall_waits_for_its_backoff(releases: Releases) -> None:
    decision = orphans_decided(
        releases,
        orphan("cache"),
        features=frozenset({"cache"}),
        prune=frozenset({"cache"}),
        history={("cache", "uninstall/sha256:old"): failures(1, ago=5)},
    )["cache"]

    assert decision.reason is Reason.BACKOFF
    assert decision.message == (
        "uninstall failed 1 time (last: helm: UPGRADE FAILED: boom); "
        "next attempt at 2026-11-21T12:00:25+00:00"
    )
    assert decision.due == NOW + timedelta(seconds=25)


def test_after_max_attempts_a_failed_uninstall_says_it_gave_up(releases: Releases) -> None:
    decision = orphans_decided(
        releases,
        orphan("cache"),
        features=frozenset({"cache"}),
        prune=frozenset({"cache"}),
        history={("cache", "uninstall/sha256:old"): failures(3, ago=10_000)},
        retry=Backoff(initial=30.0, maximum=900.0, jitter=0.0, attempts=3),
    )["cache"]

    assert (decision.reason, decision.due) == (Reason.BACKOFF, None)
    assert decision.message == (
        "uninstall failed 3 times, gave up (last: helm: UPGRADE FAILED: boom); "
        "a new release hash of the running release tries again"
    )


def test_an_orphan_of_a_disconnected_agent_is_not_uninstalled(releases: Releases) -> None:
    gone = replace(agent(orphan("cache")), connected=False)
    decisions = decide_environment(
        view({}, agent=gone, features=frozenset({"cache"}), prune=frozenset({"cache"}))
    )

    assert [d.reason for d in decisions] == [Reason.ORPHAN]


def test_decisions_come_by_feature_then_orphans_by_name(releases: Releases) -> None:
    decisions = decide_environment(view(releases, agent=agent(orphan("zz"), orphan("aa"))))

    assert [d.feature for d in decisions] == ["api", "db", "web", "aa", "zz"]
