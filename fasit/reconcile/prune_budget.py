"""The prune budget: how many releases the whole fleet may see uninstalled in a rolling window.

A pure function over a pass's sends, like `limits.py`. Counted across environments, revisions
and restarts (the runtime takes the uninstalls back from the status store), so neither one
change that removes every assignment nor a series of small changes can empty the fleet. The
budget is `.fasit.yaml`'s `prune` (`PruneSettings`): a share of the managed releases, at
least 1, per window. An uninstall beyond it is `prune-refused` until the window moves on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fasit.model import PruneSettings
from fasit.reconcile.decisions import Decision, Reason

__all__ = ["BudgetResult", "UninstallKey", "allowed_uninstalls", "apply_prune_budget"]

UninstallKey = tuple[str, str, str]
"""(environment, feature, release hash): one release uninstalled, however often it is sent."""


@dataclass(frozen=True, slots=True)
class BudgetResult:
    decisions: dict[str, list[Decision]]
    """The sends by environment, those beyond the budget turned into `prune-refused`."""
    due: datetime | None
    """When the oldest counted uninstall leaves the window, if any uninstall was refused."""


def allowed_uninstalls(settings: PruneSettings, managed: int) -> int:
    """Uninstalls per window: `budgetPercent` of the managed releases, rounded down, at least 1."""
    return max(1, math.floor(settings.budget_percent * managed / 100 + 1e-9))


def apply_prune_budget(
    sends: Mapping[str, list[Decision]],
    sent: Mapping[UninstallKey, datetime],
    managed: int,
    settings: PruneSettings,
) -> BudgetResult:
    """Refuse new uninstalls beyond the budget, environments then features in order.

    `sent` holds the latest send of each uninstall within the window; one of those sent
    again (a resend, a retry) spends nothing more. `managed` counts the releases fasit
    manages across the fleet, those uninstalled within the window included.
    """
    allowed = allowed_uninstalls(settings, managed)
    used = len(sent)
    refused = False
    budgeted: dict[str, list[Decision]] = {}
    for environment in sorted(sends):
        kept = []
        for decision in sends[environment]:
            if decision.reason is not Reason.UNINSTALL or _key(decision) in sent:
                kept.append(decision)
            elif used < allowed:
                kept.append(decision)
                used += 1
            else:
                kept.append(_refused(decision, len(sent), allowed, managed, settings))
                refused = True
        budgeted[environment] = kept
    window = timedelta(seconds=settings.window_seconds)
    due = min(sent.values()) + window if refused and sent else None
    return BudgetResult(budgeted, due)


def _key(decision: Decision) -> UninstallKey:
    return (decision.environment, decision.feature, decision.release_hash)


def _refused(
    decision: Decision, used: int, allowed: int, managed: int, settings: PruneSettings
) -> Decision:
    percent = f"{settings.budget_percent:g}"
    return replace(
        decision,
        reason=Reason.PRUNE_REFUSED,
        message=(
            f"prune budget spent: {used} of {allowed} uninstalls in the last {settings.window} "
            f"already (budget: {percent} % of {managed} managed releases, at least 1); it goes "
            "once the window moves on, or raise prune.budgetPercent in .fasit.yaml"
        ),
    )
