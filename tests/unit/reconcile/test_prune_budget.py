"""The prune budget: uninstalls across the fleet per rolling window, whatever the revision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fasit.model import PruneSettings
from fasit.reconcile import Decision, Reason, allowed_uninstalls, apply_prune_budget
from tests.unit.reconcile.support import NOW

DEFAULT = PruneSettings()


def uninstall(environment: str, feature: str) -> Decision:
    return Decision(
        environment, feature, Reason.UNINSTALL, "prune", "1.0.0", f"sha256:{feature}", 1
    )


def reasons(result: dict[str, list[Decision]]) -> dict[tuple[str, str], Reason]:
    return {(d.environment, d.feature): d.reason for ds in result.values() for d in ds}


@pytest.mark.parametrize(
    ("percent", "managed", "allowed"),
    [(10, 30, 3), (10, 24, 2), (10, 5, 1), (10, 0, 1), (50, 7, 3), (100, 7, 7), (12.5, 8, 1)],
)
def test_the_budget_is_a_share_of_the_managed_releases_and_at_least_one(
    percent: float, managed: int, allowed: int
) -> None:
    assert allowed_uninstalls(PruneSettings(budget_percent=percent), managed) == allowed


def test_uninstalls_across_environments_beyond_the_budget_are_refused_in_order() -> None:
    sends = {env: [uninstall(env, "naisd")] for env in ("a/dev", "b/dev", "c/dev", "d/dev")}

    result = apply_prune_budget(sends, {}, 20, DEFAULT)

    assert reasons(result.decisions) == {
        ("a/dev", "naisd"): Reason.UNINSTALL,
        ("b/dev", "naisd"): Reason.UNINSTALL,
        ("c/dev", "naisd"): Reason.PRUNE_REFUSED,
        ("d/dev", "naisd"): Reason.PRUNE_REFUSED,
    }


def test_a_refusal_names_the_budget_and_how_to_raise_it() -> None:
    sent = {("a/dev", f"f{i}", f"sha256:f{i}"): NOW for i in range(3)}

    result = apply_prune_budget({"b/dev": [uninstall("b/dev", "web")]}, sent, 30, DEFAULT)

    (refused,) = result.decisions["b/dev"]
    assert refused.reason is Reason.PRUNE_REFUSED
    assert refused.message == (
        "prune budget spent: 3 of 3 uninstalls in the last 1h already (budget: 10 % of 30 "
        "managed releases, at least 1); it goes once the window moves on, or raise "
        "prune.budgetPercent in .fasit.yaml"
    )


def test_uninstalls_sent_earlier_in_the_window_spend_the_budget() -> None:
    sent = {("a/dev", "old", "sha256:old"): NOW - timedelta(minutes=50)}

    result = apply_prune_budget({"b/dev": [uninstall("b/dev", "web")]}, sent, 10, DEFAULT)

    assert reasons(result.decisions) == {("b/dev", "web"): Reason.PRUNE_REFUSED}


def test_a_refusal_is_due_again_when_the_oldest_uninstall_leaves_the_window() -> None:
    sent = {
        ("a/dev", "old", "sha256:old"): NOW - timedelta(minutes=50),
        ("a/dev", "new", "sha256:new"): NOW - timedelta(minutes=5),
    }

    result = apply_prune_budget({"b/dev": [uninstall("b/dev", "web")]}, sent, 20, DEFAULT)

    assert result.due == NOW + timedelta(minutes=10)


def test_an_uninstall_already_counted_is_sent_again_without_spending_more() -> None:
    resend = uninstall("a/dev", "web")
    sent = {("a/dev", "web", "sha256:web"): NOW}

    result = apply_prune_budget({"a/dev": [resend]}, sent, 5, DEFAULT)

    assert reasons(result.decisions) == {("a/dev", "web"): Reason.UNINSTALL}
    assert result.due is None


def test_deploys_are_never_held_by_the_prune_budget() -> None:
    deploy = Decision("a/dev", "web", Reason.DEPLOY, "install 1.0.0", "1.0.0", "sha256:w", 1)
    sent = {("a/dev", "old", "sha256:old"): NOW}

    result = apply_prune_budget({"a/dev": [deploy]}, sent, 5, DEFAULT)

    assert result.decisions == {"a/dev": [deploy]}
