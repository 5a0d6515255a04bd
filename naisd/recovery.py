"""Results for work that did not finish: stopped by naisd, or cut short by a crash.

A stopped instruction is FAILED and `interrupted`: its id is settled, and the controller sends
a new attempt (a new id) if the release is still wanted. After a crash, the instruction's
outcome is judged from the inventory: helm may have finished after naisd died.
"""

from __future__ import annotations

from naisd.wire import now_ms
from naisd.work import Action, Inventory, Outcome, Work, WorkResult

__all__ = ["interrupted_result", "recovered_result"]


def interrupted_result(work: Work, why: str) -> WorkResult:
    """FAILED, interrupted: `why` says how far it got."""
    return WorkResult(
        work.id,
        Outcome.FAILED,
        f"interrupted: {why}; the inventory shows what runs",
        None,
        now_ms(),
        interrupted=True,
    )


def recovered_result(work: Work, inventory: Inventory) -> WorkResult:
    """The result of work that was running when naisd died, as far as the inventory tells.

    An install whose release now runs deployed with the instruction's release hash did
    finish; an uninstall whose release is gone did too. Anything else, or an inventory that
    could not be read, is interrupted.
    """
    release = next(
        (r for r in inventory.releases if (r.name, r.namespace) == (work.release, work.namespace)),
        None,
    )
    if not inventory.error:
        if work.action is Action.UNINSTALL and release is None:
            return WorkResult(work.id, Outcome.UNINSTALLED, "", None, now_ms())
        if (
            work.action is Action.INSTALL
            and release is not None
            and release.release_hash == work.release_hash
            and release.status == "deployed"
        ):
            return WorkResult(work.id, Outcome.DEPLOYED, "", release, now_ms())
    return interrupted_result(work, "naisd restarted while it ran")
