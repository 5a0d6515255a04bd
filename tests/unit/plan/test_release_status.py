"""Which assignment wins and what stops a release (research/fasit.md §6, items 1 and 2;
DESIGN.md §4): most specific wins, priority breaks ties, `{}` reaches management, a narrow
disabled assignment switches one environment off, dependencies must be planned there."""

from __future__ import annotations

from pathlib import Path

from fasit.plan import ReleaseStatus
from tests.states import assignment, build, chart, environment, feature, release, state


def aivenator_fleet() -> dict[str, str]:
    return state(
        *(chart("aivenator", version) for version in ("1.0.0", "2.0.0", "3.0.0", "1.1.1")),
        feature("aivenator"),
        environment("nav", "dev", labels={"aiven": "enabled", "team": "x"}),
        environment("acme", "dev", labels={"aiven": "enabled", "team": "x"}),
        environment("acme", "prod", labels={"aiven": "enabled"}),
        assignment("aivenator", "1.0.0", {"aiven": "enabled"}),
        assignment("aivenator", "2.0.0", {"team": "x"}, priority=5),
        assignment("aivenator", "1.1.1", {"aiven": "enabled", "tenant": "nav"}),
    )


def test_the_most_specific_assignment_wins(tmp_path: Path) -> None:
    result = build(tmp_path, aivenator_fleet())

    assert release(result, "nav/dev", "aivenator").version == "1.1.1"


def test_priority_breaks_ties_between_equally_specific_targets(tmp_path: Path) -> None:
    result = build(tmp_path, aivenator_fleet())

    assert release(result, "acme/dev", "aivenator").version == "2.0.0"
    assert release(result, "acme/prod", "aivenator").version == "1.0.0"


def test_an_empty_target_reaches_every_environment_management_included(tmp_path: Path) -> None:
    files = state(
        chart("x", "1.0.0"),
        feature("x"),
        environment("nav", "prod"),
        environment("nav", "management", "management"),
        environment("acme", "onprem", "onprem"),
        assignment("x", "1.0.0", {}),
    )
    result = build(tmp_path, files)

    assert {pair for pair, r in result.plan.releases.items() if r.planned} == {
        ("nav/prod", "x"),
        ("nav/management", "x"),
        ("acme/onprem", "x"),
    }


def test_a_narrow_disabled_assignment_switches_one_environment_off(tmp_path: Path) -> None:
    files = state(
        chart("x", "1.0.0"),
        feature("x"),
        environment("nav", "prod"),
        environment("nav", "dev"),
        assignment("x", "1.0.0", {}),
        assignment("x", "1.0.0", {"env": "dev"}, enabled=False),
    )
    result = build(tmp_path, files)

    assert release(result, "nav/prod", "x").status is ReleaseStatus.PLANNED
    dev = release(result, "nav/dev", "x")
    assert dev.status is ReleaseStatus.DISABLED
    assert "assignments/x/" in dev.message


def test_an_environment_with_reconcile_false_is_disabled_for_every_feature(
    tmp_path: Path,
) -> None:
    files = state(
        chart("x", "1.0.0"),
        feature("x"),
        environment("nav", "prod", reconcile=False),
        assignment("x", "1.0.0", {}),
    )
    prod = release(build(tmp_path, files), "nav/prod", "x")

    assert prod.status is ReleaseStatus.DISABLED
    assert "reconcile: false" in prod.message
    assert prod.release_hash is None


def test_pairs_no_assignment_reaches_have_no_release(tmp_path: Path) -> None:
    files = state(
        chart("x", "1.0.0"),
        feature("x"),
        environment("nav", "prod"),
        environment("nav", "dev"),
        assignment("x", "1.0.0", {"env": "prod"}),
    )
    assert set(build(tmp_path, files).plan.releases) == {("nav/prod", "x")}


def dependency_state(*extra: dict[str, str]) -> dict[str, str]:
    return state(
        chart("app", "1.0.0", dependencies=[{"allOf": ["crds"]}, {"anyOf": ["nginx", "traefik"]}]),
        chart("crds", "1.0.0"),
        chart("nginx", "1.0.0"),
        feature("app"),
        feature("crds"),
        feature("nginx"),
        feature("traefik"),
        environment("nav", "prod"),
        environment("nav", "dev"),
        assignment("app", "1.0.0", {}),
        *extra,
    )


def test_a_release_whose_dependencies_are_planned_there_is_planned(tmp_path: Path) -> None:
    files = dependency_state(assignment("crds", "1.0.0", {}), assignment("nginx", "1.0.0", {}))
    prod = release(build(tmp_path, files), "nav/prod", "app")

    assert prod.status is ReleaseStatus.PLANNED
    assert prod.depends_on == ("crds", "nginx")


def test_one_rule_with_all_of_and_any_of_needs_both_as_in_nais(tmp_path: Path) -> None:
    both = chart("app", "1.0.0", dependencies=[{"allOf": ["crds"], "anyOf": ["nginx", "traefik"]}])
    files = dependency_state(both, assignment("crds", "1.0.0", {}))
    without_ingress = release(build(tmp_path / "a", files), "nav/prod", "app")
    files = dependency_state(
        both, assignment("crds", "1.0.0", {}), assignment("nginx", "1.0.0", {})
    )
    with_ingress = release(build(tmp_path / "b", files), "nav/prod", "app")

    assert without_ingress.status is ReleaseStatus.MISSING_DEPENDENCY
    assert "any of nginx" in without_ingress.message
    assert with_ingress.status is ReleaseStatus.PLANNED
    assert with_ingress.depends_on == ("crds", "nginx")


def test_a_dependency_not_planned_in_the_environment_is_missing_dependency(
    tmp_path: Path,
) -> None:
    files = dependency_state(
        assignment("crds", "1.0.0", {"env": "prod"}), assignment("nginx", "1.0.0", {})
    )
    result = build(tmp_path, files)

    assert release(result, "nav/prod", "app").status is ReleaseStatus.PLANNED
    dev = release(result, "nav/dev", "app")
    assert dev.status is ReleaseStatus.MISSING_DEPENDENCY
    assert dev.message == "needs crds (no assignment reaches this environment)"


def test_any_of_needs_one_of_its_features(tmp_path: Path) -> None:
    files = dependency_state(assignment("crds", "1.0.0", {}))
    prod = release(build(tmp_path, files), "nav/prod", "app")

    assert prod.status is ReleaseStatus.MISSING_DEPENDENCY
    assert "any of nginx (no assignment reaches this environment), traefik" in prod.message


def test_a_disabled_dependency_makes_its_dependents_missing_dependency(tmp_path: Path) -> None:
    files = dependency_state(
        assignment("crds", "1.0.0", {}),
        assignment("crds", "1.0.0", {"env": "dev"}, enabled=False),
        assignment("nginx", "1.0.0", {}),
    )
    dev = release(build(tmp_path, files), "nav/dev", "app")

    assert dev.status is ReleaseStatus.MISSING_DEPENDENCY
    assert "crds (disabled)" in dev.message


def test_a_plan_counts_its_releases_with_problems_by_status(tmp_path: Path) -> None:
    files = state(
        chart("aivenator", "1.0.0"),
        feature("aivenator"),
        feature("naisd"),
        environment("nav", "dev"),
        environment("nav", "prod"),
        environment("acme", "dev", reconcile=False),
        assignment("aivenator", "1.0.0", {}),
        assignment("naisd", "9.9.9", {"tenant": "nav"}),
    )

    plan = build(tmp_path, files).plan

    assert plan.problem_counts() == {"chart-unavailable": 2}
