"""The release views by (environment, feature), made again only when the fleet moves."""

from __future__ import annotations

from fasit.reconcile import Status
from fasit.web import ReleaseIndex
from tests.unit.web.support import StaticFleet
from tests.unit.web.test_api import view


def test_views_are_indexed_by_environment_and_feature() -> None:
    index = ReleaseIndex(StaticFleet([view("nav/dev", "web"), view("nav/dev", "api")]))

    assert sorted(index.views()) == [("nav/dev", "api"), ("nav/dev", "web")]


def test_the_index_follows_the_fleet_when_its_generation_moves() -> None:
    fleet = StaticFleet([view("nav/dev", "web")])
    index = ReleaseIndex(fleet)
    before = index.views()

    fleet.views = [view("nav/dev", "web", Status.FAILED)]  # unseen until the generation moves
    unchanged = index.views()
    fleet.change([view("nav/dev", "web", Status.FAILED)])

    assert unchanged is before
    assert index.views()[("nav/dev", "web")].status is Status.FAILED
