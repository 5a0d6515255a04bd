"""The plans' history: what each newly planned revision changed against the one before."""

from __future__ import annotations

from pathlib import Path

from fasit.plan import ChangeKind, PlanHistory, Planner
from tests import states


def fleet(version: str) -> dict[str, str]:
    return states.state(
        states.environment("nav", "dev"),
        states.environment("nav", "prod"),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.chart("web", "2.0.0"),
        states.assignment("web", version, {"env": "dev"}),
        states.assignment("web", "1.0.0", {"env": "prod"}),
    )


def test_the_first_plan_counts_its_releases_and_lists_no_changes(tmp_path: Path) -> None:
    plan = states.build(tmp_path, fleet("1.0.0")).plan
    history = PlanHistory()

    changes = history.changes(plan)

    assert changes is not None
    assert (changes.previous, changes.changes, changes.total) == (None, (), 2)


def test_the_same_plan_again_is_no_entry(tmp_path: Path) -> None:
    plan = states.build(tmp_path, fleet("1.0.0")).plan
    history = PlanHistory()
    history.add(plan, history.changes(plan))

    assert history.changes(plan) is None


def test_a_new_plan_lists_what_changed_against_the_last(tmp_path: Path) -> None:
    planner = Planner()
    first = states.build(tmp_path / "a", fleet("1.0.0"), planner=planner).plan
    second = states.build(tmp_path / "b", fleet("2.0.0"), planner=planner).plan
    history = PlanHistory()
    history.add(first, history.changes(first))

    history.add(second, history.changes(second))

    newest = history.entries[0]
    assert newest.previous == first.revision
    assert [(c.environment, c.kind) for c in newest.changes] == [("nav/dev", ChangeKind.UPGRADE)]
    assert len(history.entries) == 2


def test_changes_beyond_the_limit_are_counted_not_kept(tmp_path: Path) -> None:
    first = states.build(tmp_path / "a", fleet("1.0.0")).plan
    second = states.build(tmp_path / "b", fleet("2.0.0")).plan
    history = PlanHistory(changes_kept=0)
    history.add(first, history.changes(first))

    changes = history.changes(second)

    assert changes is not None
    assert changes.truncated
    assert changes.total == 1


def test_the_first_plan_affects_every_release_it_plans(tmp_path: Path) -> None:
    plan = states.build(tmp_path, fleet("1.0.0")).plan

    changes = PlanHistory().changes(plan)

    assert changes is not None
    assert dict(changes.affected) == {
        ("nav/dev", "web"): ChangeKind.INSTALL,
        ("nav/prod", "web"): ChangeKind.INSTALL,
    }


def test_every_affected_release_is_kept_beyond_the_listed_changes(tmp_path: Path) -> None:
    first = states.build(tmp_path / "a", fleet("1.0.0")).plan
    second = states.build(tmp_path / "b", fleet("2.0.0")).plan
    history = PlanHistory(changes_kept=0)
    history.add(first, history.changes(first))

    changes = history.changes(second)

    assert changes is not None
    assert dict(changes.affected) == {("nav/dev", "web"): ChangeKind.UPGRADE}
