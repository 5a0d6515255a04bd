"""Targeting: the winner per (environment, feature), and ambiguity. nais/fasit's own cases."""

from __future__ import annotations

from fasit.state import LabelIndex, target
from tests.helpers import make_assignment, make_environment

NAV_DEV = make_environment("nav", "dev", aiven="enabled")
NAV_PROD = make_environment("nav", "prod", aiven="enabled")
NAV_MANAGEMENT = make_environment("nav", "management", "management")
ACME_PROD = make_environment("acme", "prod")
FLEET = [NAV_DEV, NAV_PROD, NAV_MANAGEMENT, ACME_PROD]


def versions(assignments: list[object]) -> dict[str, str]:
    targeting = target(FLEET, assignments)  # type: ignore[arg-type]
    assert targeting.problems == ()
    return {env: winner.model.version for (env, _), winner in sorted(targeting.winners.items())}


def test_most_specific_assignment_wins() -> None:
    # nais/fasit: targets {aiven} 1.0/2.0 and {aiven, tenant: nav} 1.1.1 -> nav envs get 1.1.1.
    assignments = [
        make_assignment("aivenator", "2.0.0", {"aiven": "enabled"}),
        make_assignment("aivenator", "1.1.1", {"aiven": "enabled", "tenant": "nav"}),
    ]

    assert versions(assignments) == {"nav/dev": "1.1.1", "nav/prod": "1.1.1"}


def test_priority_breaks_equal_specificity() -> None:
    assignments = [
        make_assignment("naisd", "2.0.0", {"tenant": "nav"}),
        make_assignment("naisd", "2.1.0", {"env": "prod"}, priority=10),
    ]

    assert versions(assignments)["nav/prod"] == "2.1.0"
    assert versions(assignments)["nav/dev"] == "2.0.0"


def test_empty_target_reaches_every_environment_including_management() -> None:
    assert versions([make_assignment("crds", "0.3.0", {})]) == {
        "acme/prod": "0.3.0",
        "nav/dev": "0.3.0",
        "nav/management": "0.3.0",
        "nav/prod": "0.3.0",
    }


def test_narrow_disabled_assignment_switches_one_environment_off() -> None:
    assignments = [
        make_assignment("ingress", "4.10.1", {}),
        make_assignment("ingress", "4.10.1", {"tenant": "nav", "env": "dev"}, enabled=False),
    ]

    targeting = target(FLEET, assignments)

    enabled = {env: winner.model.enabled for (env, _), winner in targeting.winners.items()}
    assert enabled == {
        "nav/dev": False,
        "nav/prod": True,
        "nav/management": True,
        "acme/prod": True,
    }


def test_features_are_targeted_independently() -> None:
    targeting = target(
        FLEET,
        [
            make_assignment("a", "1.0.0", {"env": "dev"}),
            make_assignment("b", "2.0.0", {"env": "prod"}),
        ],
    )

    assert sorted(targeting.winners) == [("acme/prod", "b"), ("nav/dev", "a"), ("nav/prod", "b")]


def test_equal_tie_that_agrees_is_not_ambiguous() -> None:
    assignments = [
        make_assignment("a", "1.0.0", {"tenant": "nav"}, file="one.yaml"),
        make_assignment("a", "1.0.0", {"env": "prod"}, file="two.yaml"),
    ]

    targeting = target(FLEET, assignments)

    assert targeting.problems == ()
    assert targeting.winners[("nav/prod", "a")].file == "one.yaml"


def test_disagreeing_tie_is_ambiguous_at_both_assignments() -> None:
    assignments = [
        make_assignment("a", "1.0.0", {"tenant": "nav"}, file="one.yaml"),
        make_assignment("a", "2.0.0", {"env": "prod"}, file="two.yaml"),
    ]

    problems = target(FLEET, assignments).problems

    assert [(p.file, p.code) for p in problems] == [
        ("one.yaml", "ambiguous-assignment"),
        ("two.yaml", "ambiguous-assignment"),
    ]
    assert "match nav/prod," in problems[0].message


def test_tie_hidden_by_a_more_specific_winner_is_not_ambiguous() -> None:
    assignments = [
        make_assignment("a", "1.0.0", {"tenant": "nav"}),
        make_assignment("a", "2.0.0", {"env": "prod"}),
        make_assignment("a", "3.0.0", {"tenant": "nav", "env": "prod"}),
    ]

    assert versions(assignments)["nav/prod"] == "3.0.0"


def test_ambiguity_that_disagrees_only_on_enabled_is_reported() -> None:
    assignments = [
        make_assignment("a", "1.0.0", {"tenant": "nav"}),
        make_assignment("a", "1.0.0", {"env": "prod"}, enabled=False),
    ]

    [first, _] = target(FLEET, assignments).problems

    assert "differ in enabled (True vs False)" in first.message


def test_matched_lists_every_environment_an_assignment_reaches() -> None:
    assignment = make_assignment("a", "1.0.0", {"aiven": "enabled"})

    targeting = target(FLEET, [assignment])

    assert targeting.matched(assignment) == ["nav/dev", "nav/prod"]


def test_label_index_intersects_labels() -> None:
    index = LabelIndex([environment.model for environment in FLEET])

    assert list(index.environments(index.matching({"tenant": "nav", "aiven": "enabled"}))) == [
        "nav/dev",
        "nav/prod",
    ]
    assert index.matching({"tenant": "nope"}) == 0
