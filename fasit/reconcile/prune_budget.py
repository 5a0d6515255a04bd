"""The prune budget: how many releases the whole fleet may see uninstalled in a rolling window.

A pure function over a pass's sends, like `limits.py`. Counted across environments, revisions
and restarts (the runtime takes the uninstalls back from the status store), so neither one
change that removes every assignment nor a series of small changes can empty the fleet. The
budget is `.fasit.yaml`'s `prune` (`PruneSettings`): a share of the managed releases, at
least 1, per window. An uninstall beyond it is `prune-refused` until the window moves on.

Replicas sharing a fleet count the whole fleet's uninstalls and releases: their own, and the
others' as the status store showed them at its last read (`SharedPruning`). Since the others'
new uninstalls are seen only at the next read, what was left of the budget at a read is split
between the replicas (`replica_slice`: equal slices, the remainder to the leader), so together
they never spend more than was left.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fasit.model import PruneSettings
from fasit.reconcile.decisions import Decision, Reason

__all__ = [
    "BudgetResult",
    "SharedPruning",
    "Slice",
    "UninstallKey",
    "allowed_uninstalls",
    "apply_prune_budget",
    "replica_slice",
]

UninstallKey = tuple[str, str, str]
"""(environment, feature, release hash): one release uninstalled, however often it is sent."""


@dataclass(frozen=True, slots=True)
class BudgetResult:
    decisions: dict[str, list[Decision]]
    """The sends by environment, those beyond the budget turned into `prune-refused`."""
    due: datetime | None
    """When the oldest counted uninstall leaves the window, if any uninstall was refused."""


@dataclass(frozen=True, slots=True)
class SharedPruning:
    """What the other replicas of a shared fleet count against its prune budget, as the status
    store showed it at `read_at`."""

    uninstalls: Mapping[UninstallKey, datetime]
    """Their uninstalls, each at its latest send."""
    running: frozenset[tuple[str, str]]
    """The (environment, release) pairs their agents run that fasit deployed."""
    read_at: datetime


@dataclass(frozen=True, slots=True)
class Slice:
    """What one replica may still uninstall until the store is read again."""

    left: int
    replicas: int


def replica_slice(remaining: int, replicas: int, leader: bool) -> int:
    """One replica's part of the `remaining` budget: an equal share, rounded down, and the
    leader takes the remainder too, so the parts add up to `remaining` exactly.

    >>> [replica_slice(7, 3, leader) for leader in (True, False, False)]
    [3, 2, 2]
    """
    remaining = max(0, remaining)
    replicas = max(1, replicas)
    return remaining // replicas + (remaining % replicas if leader else 0)


def allowed_uninstalls(settings: PruneSettings, managed: int) -> int:
    """Uninstalls per window: `budgetPercent` of the managed releases, rounded down, at least 1."""
    return max(1, math.floor(settings.budget_percent * managed / 100 + 1e-9))


def apply_prune_budget(
    sends: Mapping[str, list[Decision]],
    sent: Mapping[UninstallKey, datetime],
    managed: int,
    settings: PruneSettings,
    share: Slice | None = None,
    read_again: datetime | None = None,
) -> BudgetResult:
    """Refuse new uninstalls beyond the budget, environments then features in order.

    `sent` holds the latest send of each uninstall within the window; one of those sent
    again (a resend, a retry) spends nothing more. `managed` counts the releases fasit
    manages across the fleet, those uninstalled within the window included. With replicas,
    `share` is what this one may still add until the store is read again, at `read_again`.
    """
    allowed = allowed_uninstalls(settings, managed)
    used = len(sent)
    mine = share.left if share is not None else allowed
    refused = False
    sliced = False
    budgeted: dict[str, list[Decision]] = {}
    for environment in sorted(sends):
        kept = []
        for decision in sends[environment]:
            if decision.reason is not Reason.UNINSTALL or _key(decision) in sent:
                kept.append(decision)
            elif used < allowed and mine > 0:
                kept.append(decision)
                used += 1
                mine -= 1
            elif used < allowed and share is not None:
                kept.append(_sliced(decision, len(sent), allowed, share.replicas, settings))
                sliced = True
            else:
                kept.append(_refused(decision, len(sent), allowed, managed, settings))
                refused = True
        budgeted[environment] = kept
    window = timedelta(seconds=settings.window_seconds)
    dues = [min(sent.values()) + window] if refused and sent else []
    if sliced and read_again is not None:
        dues.append(read_again)
    return BudgetResult(budgeted, min(dues, default=None))


def _key(decision: Decision) -> UninstallKey:
    return (decision.environment, decision.feature, decision.release_hash)


def _sliced(
    decision: Decision, used: int, allowed: int, replicas: int, settings: PruneSettings
) -> Decision:
    return replace(
        decision,
        reason=Reason.PRUNE_REFUSED,
        message=(
            f"prune budget: {used} of {allowed} uninstalls in the last {settings.window} used, "
            f"and this replica's part of the rest is spent ({replicas} replicas share the "
            "fleet's budget); it goes when the replicas next read the status store"
        ),
    )


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
