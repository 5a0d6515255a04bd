"""Releases fasit manages that nothing desires: shown as orphans, pruned only when asked, and
never more than the prune budget allows."""

from __future__ import annotations

from fasit.reconcile import Reason
from naisd import FakeExecutor
from tests import states
from tests.integration.reconcile.support import Fleet, runs
from tests.integration.waiting import eventually


def cache_state(
    prune: bool | None = None, assigned: bool = False, protected: bool | None = None
) -> list[dict[str, str]]:
    parts = [
        states.environment("nav", "dev"),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.assignment("web", "1.0.0", {}),
        states.feature("cache", prune=prune, protected=protected),
        states.chart("cache", "1.0.0"),
    ]
    if assigned:
        parts.append(states.assignment("cache", "1.0.0", {"env": "prod"}))
    return parts


async def test_an_orphan_is_shown_then_uninstalled_once_its_feature_says_prune(
    fleet: Fleet,
) -> None:
    executor = fleet.connect("nav/dev", FakeExecutor("nav/dev", orphans=("cache",), delay=(0, 0)))
    fleet.publish(*cache_state())
    await fleet.until_status("nav/dev", "cache", "ORPHAN")
    orphan = fleet.decision("nav/dev", "cache")
    assert orphan is not None
    assert orphan.message == "no assignment reaches nav/dev; cache has prune: false"

    fleet.publish(*cache_state(prune=True))

    await _gone(fleet, "nav/dev", "cache")
    deploys = await fleet.deploys("nav/dev", "cache")
    assert [(d.action.value, d.state.value) for d in deploys] == [
        ("uninstall", "sent"),
        ("uninstall", "uninstalling"),
        ("uninstall", "uninstalled"),
    ]
    assert len(runs(executor)) == 2  # web's install and cache's uninstall


async def test_a_protected_orphan_with_prune_is_shown_and_never_uninstalled(fleet: Fleet) -> None:
    executor = fleet.connect("nav/dev", FakeExecutor("nav/dev", orphans=("cache",), delay=(0, 0)))
    fleet.publish(*cache_state(prune=True, protected=True))

    await fleet.until_decided("nav/dev", "cache", lambda d: d.reason is Reason.PROTECTED)
    await fleet.until_status("nav/dev", "cache", "ORPHAN")
    await fleet.until_status("nav/dev", "web", "DEPLOYED")

    assert len(runs(executor)) == 1  # web only: nothing uninstalled
    assert await fleet.deploys("nav/dev", "cache") == []


async def test_orphans_beyond_the_prune_budget_are_refused_and_shown(fleet: Fleet) -> None:
    names = ("alpha", "beta", "gamma")
    executor = fleet.connect("nav/dev", FakeExecutor("nav/dev", orphans=names, delay=(0, 0)))
    registered = []
    for name in names:
        registered += [states.feature(name, prune=True), states.chart(name, "1.0.0")]
    fleet.publish(*cache_state(), *registered)

    # The refusals first: they prove the inventory (with alpha) was seen, so alpha being gone
    # afterwards means it was uninstalled, not that it was not known yet.
    for name in names[1:]:
        await fleet.until_status("nav/dev", name, "PRUNE-REFUSED")
    await fleet.until_status("nav/dev", "web", "DEPLOYED")
    await _gone(fleet, "nav/dev", "alpha")  # 10 % of 4 managed releases: 1 this hour

    assert len(runs(executor)) == 2  # web, and alpha's uninstall


async def _gone(fleet: Fleet, environment: str, feature: str) -> None:
    await eventually(
        lambda: fleet.status(environment, feature) is None, f"{feature} gone from {environment}"
    )
