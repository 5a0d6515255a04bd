"""Recent revisions: each with its outcome and problems, and for a served one what its plan
changed against the plan before (installs, upgrades, value keys; secrets masked)."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence

from starlette.requests import Request

from fasit.plan import PlanChanges
from fasit.state import Outcome, RevisionRecord
from fasit.web import shown
from fasit.web.pages.sources import Sources
from fasit.web.query import Paging, page_of

__all__ = ["REVISIONS_PER_PAGE", "revisions_page"]


REVISIONS_PER_PAGE = 10
"""Revisions shown per page by default (each with up to `PlanHistory.changes_kept` changes)."""


async def revisions_page(sources: Sources, request: Request) -> dict[str, object]:
    """`page`, `per_page`: revisions, newest first."""
    paging = Paging.of(request.query_params, default_per_page=REVISIONS_PER_PAGE)
    store = sources.read.store
    history = store.history
    served = None if store.current is None else store.current.revision.id
    plans = _plans_by_record(history, sources.read.plan_changes())
    # A revision can be served more than once (a revert, a force-push back): each time is its
    # own entry, and only the newest served entry of the served revision is "serving".
    serving = next(
        (r for r in history if r.revision.id == served and r.outcome is Outcome.SERVED), None
    )

    def row(record: RevisionRecord) -> dict[str, object]:
        return {
            **shown.revision(record.revision),
            "outcome": record.outcome.value,
            "recorded_at": shown.time(record.recorded_at),
            "serving": record is serving,
            "errors": record.errors,
            "warnings": record.warnings,
            "release_problems": dict(record.release_problems),
            "problems": [shown.problem(problem) for problem in record.problems],
            "plans": [_plan(entry) for entry in plans.get(id(record), ())],
        }

    return {"served": served, **page_of(history, paging, row)}


def _plans_by_record(
    history: Sequence[RevisionRecord], entries: Sequence[PlanChanges]
) -> dict[int, list[PlanChanges]]:
    """Each plan entry with the served record it came from: both are newest first, so the
    n-th plans of a revision go with its n-th served record."""
    waiting: dict[str, deque[PlanChanges]] = defaultdict(deque)
    for entry in entries:
        waiting[entry.revision.id].append(entry)
    served = [r for r in history if r.outcome is Outcome.SERVED]
    by_record: dict[int, list[PlanChanges]] = {}
    for position, record in enumerate(served):
        queue = waiting.get(record.revision.id)
        if not queue:
            continue
        later = next(
            (r for r in served[position + 1 :] if r.revision.id == record.revision.id), None
        )
        # The oldest served record of a revision takes every plan left (a re-plan of the same
        # revision, after a moved chart tag, adds an entry but no record).
        taken = [queue.popleft()] if later is not None else list(queue)
        if later is None:
            queue.clear()
        by_record[id(record)] = taken
    return by_record


def _plan(entry: PlanChanges) -> dict[str, object]:
    return {
        "previous": None if entry.previous is None else entry.previous.id,
        "total": entry.total,
        "truncated": entry.truncated,
        "changes": [change.document() for change in entry.changes],
    }
