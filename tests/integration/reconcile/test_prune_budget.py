"""The prune budget: at most `prune.budgetPercent` of the fleet's managed releases uninstalled in
any rolling window, whether in one change or many, across a restart; raised only in .fasit.yaml."""

from __future__ import annotations

from pathlib import Path

from fasit.agents import Action
from fasit.reconcile import Reason
from tests import states
from tests.integration.reconcile.conftest import QUIET
from tests.integration.reconcile.support import Fleet
from tests.integration.waiting import eventually

TEN = tuple(f"fleet/e{i}" for i in range(10))
FEATURES = ("f0", "f1", "f2", "f3")


def fleet_state(environments: tuple[str, ...], assigned: tuple[str, ...]) -> list[dict[str, str]]:
    """`web` everywhere; each of FEATURES (prune: true) everywhere while it is `assigned`."""
    parts = [states.environment(*environment.split("/")) for environment in environments]
    parts += [states.feature("web"), states.chart("web", "1.0.0")]
    parts.append(states.assignment("web", "1.0.0", {}))
    for name in FEATURES:
        parts += [states.feature(name, prune=True), states.chart(name, "1.0.0")]
        if name in assigned:
            parts.append(states.assignment(name, "1.0.0", {}))
    return parts


def budget(percent: int) -> dict[str, str]:
    return {".fasit.yaml": f"prune:\n  budgetPercent: {percent}\n  window: 1h\n"}


async def deployed(fleet: Fleet, environments: tuple[str, ...], *features: str) -> None:
    for environment in environments:
        for feature in features:
            await fleet.until_status(environment, feature, "DEPLOYED")


async def gone(fleet: Fleet, environment: str, feature: str) -> None:
    await eventually(
        lambda: fleet.status(environment, feature) is None, f"{feature} gone from {environment}"
    )


async def uninstalls(fleet: Fleet, environments: tuple[str, ...], *features: str) -> int:
    """Uninstall instructions in the status store's deploy log."""
    count = 0
    for environment in environments:
        for feature in features:
            deploys = await fleet.deploys(environment, feature)
            count += len({d.instruction_id for d in deploys if d.action is Action.UNINSTALL})
    return count


async def start_nav_dev(fleet: Fleet, *extra: dict[str, str]) -> None:
    """nav/dev runs web and f0-f3 (5 managed releases: a budget of 1 at 10 %), then f0 goes."""
    fleet.connect("nav/dev")
    fleet.publish(*fleet_state(("nav/dev",), FEATURES), *extra)
    await deployed(fleet, ("nav/dev",), "web", *FEATURES)
    fleet.publish(*fleet_state(("nav/dev",), FEATURES[1:]), *extra)
    await gone(fleet, "nav/dev", "f0")


async def test_removing_every_assignment_at_once_uninstalls_at_most_the_budget(
    fleet: Fleet,
) -> None:
    for environment in TEN:
        fleet.connect(environment)
    fleet.publish(*fleet_state(TEN, ("f0",)))
    await deployed(fleet, TEN, "web", "f0")

    fleet.publish(*fleet_state(TEN, ()))  # 20 managed releases: 2 may go this hour

    await eventually(
        lambda: sum(fleet.status(env, "f0") is None for env in TEN) == 2, "two uninstalled"
    )
    refused = [env for env in TEN if fleet.status(env, "f0") is not None]
    for environment in refused:
        await fleet.until_status(environment, "f0", "PRUNE-REFUSED")
    assert len(refused) == 8
    assert await uninstalls(fleet, TEN, "f0") == 2
    decision = fleet.decision(refused[0], "f0")
    assert decision is not None
    assert decision.message.startswith(
        "prune budget spent: 2 of 2 uninstalls in the last 1h already (budget: 10 % of 20 "
        "managed releases, at least 1)"
    )
    assert decision.message.endswith("raise prune.budgetPercent in .fasit.yaml")


async def test_removing_assignments_one_change_at_a_time_cannot_exceed_the_budget(
    fleet: Fleet,
) -> None:
    await start_nav_dev(fleet)

    fleet.publish(*fleet_state(("nav/dev",), FEATURES[2:]))
    await fleet.until_status("nav/dev", "f1", "PRUNE-REFUSED")
    fleet.publish(*fleet_state(("nav/dev",), FEATURES[3:]))
    await fleet.until_decided("nav/dev", "f2", lambda d: d.reason is Reason.PRUNE_REFUSED)

    await fleet.until_status("nav/dev", "f1", "PRUNE-REFUSED")
    assert await uninstalls(fleet, ("nav/dev",), *FEATURES) == 1


async def test_a_restart_does_not_reset_the_budget(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path, reconcile=QUIET)
    await fleet.start()
    try:
        await start_nav_dev(fleet)
        await fleet.stop()
        await fleet.start()
        await fleet.until_connected("nav/dev")

        fleet.publish(*fleet_state(("nav/dev",), FEATURES[2:]))

        await fleet.until_status("nav/dev", "f1", "PRUNE-REFUSED")
        assert await uninstalls(fleet, ("nav/dev",), *FEATURES) == 1
    finally:
        await fleet.close()


async def test_raising_the_budget_in_the_index_file_lets_more_go(fleet: Fleet) -> None:
    await start_nav_dev(fleet)

    fleet.publish(*fleet_state(("nav/dev",), FEATURES[2:]), budget(50))  # 2 of 5 this hour

    await gone(fleet, "nav/dev", "f1")
    assert await uninstalls(fleet, ("nav/dev",), *FEATURES) == 2
