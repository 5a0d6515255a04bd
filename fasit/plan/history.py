"""The recent plans' differences: what each newly served revision changed against the last.

Kept for people (the dashboard's revision history), bounded in revisions and in changes per
revision. Values in the changes are masked where secret (`diff_plans` does it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from fasit.plan.diff import Change, ChangeKind, diff_plans
from fasit.plan.revision_plan import Plan
from fasit.state import Revision

__all__ = ["PlanChanges", "PlanHistory"]


@dataclass(frozen=True, slots=True)
class PlanChanges:
    """What planning `revision` changed against the plan before it."""

    revision: Revision
    previous: Revision | None
    """None for the first plan: everything in it is new, and `changes` is empty."""
    changes: tuple[Change, ...]
    """The first `PlanHistory.changes_kept` changes, by environment then feature."""
    total: int
    """Every change, shown or not (for the first plan: its releases)."""
    affected: Mapping[tuple[str, str], ChangeKind] = field(default_factory=dict)
    """Every (environment, feature) the plan changed, none left out, with how: what a
    revision's rollout progress follows. For the first plan, each of its releases (an
    `install` when planned, else `status-changed`)."""

    @property
    def truncated(self) -> bool:
        return self.total > len(self.changes)


class PlanHistory:
    """The latest plans' changes, newest first; a plan of the same revision again (a moved
    chart tag) counts as a new entry, since what it deploys changed."""

    def __init__(self, revisions_kept: int = 50, changes_kept: int = 200) -> None:
        self.changes_kept = changes_kept
        self._entries: deque[PlanChanges] = deque(maxlen=revisions_kept)
        self._last: Plan | None = None

    def changes(self, plan: Plan) -> PlanChanges | None:
        """What `plan` changed against the last plan added; None if it is that same plan.

        Reads only: safe to run off the event loop while readers read `entries`.
        """
        last = self._last
        if plan is last:
            return None
        if last is None:  # nothing to compare with: the first plan is all new, not listed
            every = {
                pair: ChangeKind.INSTALL if release.planned else ChangeKind.STATUS_CHANGED
                for pair, release in plan.releases.items()
            }
            return PlanChanges(plan.revision, None, (), len(plan.releases), every)
        found = diff_plans(last, plan)
        affected = {(change.environment, change.feature): change.kind for change in found}
        return PlanChanges(
            plan.revision, last.revision, tuple(found[: self.changes_kept]), len(found), affected
        )

    def add(self, plan: Plan, changes: PlanChanges | None) -> None:
        """Remember `plan` as the last one, with what it changed."""
        if changes is not None:
            self._entries.appendleft(changes)
        self._last = plan

    @property
    def entries(self) -> tuple[PlanChanges, ...]:
        """Newest first."""
        return tuple(self._entries)
