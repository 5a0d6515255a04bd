"""The reconciler's release views: the same list between changes, rebuilt when a pass or an
agent moves something, and each release's last deploy time."""

from __future__ import annotations

from tests.integration.reconcile.support import Fleet, Gated, basic_state


async def test_views_are_the_same_list_until_something_changes(fleet: Fleet) -> None:
    fleet.connect("nav/dev")
    fleet.publish(*basic_state())
    await fleet.until_status("nav/dev", "web", "DEPLOYED")
    reconciler = fleet.running

    first = reconciler.releases()
    await reconciler.run_pass()  # nothing changed: nothing decided afresh, nothing recorded

    assert reconciler.releases() is first


async def test_views_show_an_agents_progress_as_it_happens(fleet: Fleet) -> None:
    gated = Gated("nav/dev")
    fleet.connect("nav/dev", gated)
    fleet.publish(*basic_state())
    await gated.started.wait()
    await fleet.until_status("nav/dev", "web", "INSTALLING")
    before = fleet.running.generation

    gated.gate.set()
    await fleet.until_status("nav/dev", "web", "DEPLOYED")

    assert fleet.running.generation > before


async def test_a_deployed_release_says_when_it_last_deployed(fleet: Fleet) -> None:
    fleet.connect("nav/dev")
    fleet.publish(*basic_state())
    await fleet.until_status("nav/dev", "web", "DEPLOYED")

    view = fleet.status("nav/dev", "web")
    deploys = await fleet.deploys("nav/dev", "web")

    assert view is not None
    assert view.deployed_at == deploys[-1].updated_at


async def test_an_upgrade_is_upgrading_and_its_deploy_names_the_version_it_replaces(
    fleet: Fleet,
) -> None:
    gated = Gated("nav/dev")
    gated.gate.set()
    fleet.connect("nav/dev", gated)
    fleet.publish(*basic_state())
    await fleet.until_status("nav/dev", "web", "DEPLOYED")
    gated.gate.clear()

    fleet.publish(*basic_state(version="1.1.0"))
    await fleet.until_status("nav/dev", "web", "UPGRADING")
    decisions = await fleet.decision_messages("nav/dev", "web")
    gated.gate.set()
    await fleet.until_status("nav/dev", "web", "DEPLOYED")
    deploys = await fleet.deploys("nav/dev", "web")

    assert "upgrade 1.0.0 → 1.1.0" in decisions
    assert {(d.from_version, d.version) for d in deploys} == {("", "1.0.0"), ("1.0.0", "1.1.0")}


async def test_one_release_looked_up_is_the_view_the_list_shows(fleet: Fleet) -> None:
    fleet.connect("nav/dev")
    fleet.publish(*basic_state())
    await fleet.until_status("nav/dev", "web", "DEPLOYED")
    reconciler = fleet.running

    listed = {(view.environment, view.feature): view for view in reconciler.releases()}

    assert reconciler.release("nav/dev", "web") == listed["nav/dev", "web"]
    assert reconciler.release("nav/prod", "web") == listed["nav/prod", "web"]
    assert reconciler.release("nav/dev", "nothing") is None
