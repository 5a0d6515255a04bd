"""Work cut short by a crash is settled from the inventory after the restart."""

from __future__ import annotations

import pytest

from naisd import Action, Inventory, Outcome, Release, Work
from naisd.recovery import recovered_result

HASH = "sha256:" + "1" * 64


def _work(action: Action = Action.INSTALL) -> Work:
    return Work("i", "web", "apps", "oci://r/web", "", "1.0.0", {}, HASH, 30.0, action)


def _inventory(*releases: Release, error: str = "") -> Inventory:
    return Inventory(releases, error)


def _web(release_hash: str = HASH, status: str = "deployed") -> Release:
    return Release("web", "apps", "web", "1.0.0", release_hash, status, 2)


@pytest.mark.parametrize(
    ("action", "inventory", "outcome", "interrupted"),
    [
        pytest.param(Action.INSTALL, _inventory(_web()), Outcome.DEPLOYED, False, id="finished"),
        pytest.param(
            Action.INSTALL, _inventory(_web(status="pending-upgrade")), Outcome.FAILED, True,
            id="still pending",
        ),
        pytest.param(
            Action.INSTALL, _inventory(_web(release_hash="sha256:old")), Outcome.FAILED, True,
            id="old hash",
        ),
        pytest.param(Action.UNINSTALL, _inventory(), Outcome.UNINSTALLED, False, id="gone"),
        pytest.param(Action.UNINSTALL, _inventory(_web()), Outcome.FAILED, True, id="still there"),
        pytest.param(
            Action.INSTALL, _inventory(error="helm list exited 1"), Outcome.FAILED, True,
            id="unknown inventory",
        ),
    ],
)  # fmt: skip
def test_an_interrupted_instruction_is_judged_by_what_runs(
    action: Action, inventory: Inventory, outcome: Outcome, interrupted: bool
) -> None:
    result = recovered_result(_work(action), inventory)

    assert (result.outcome, result.interrupted) == (outcome, interrupted)
