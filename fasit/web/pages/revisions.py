"""Recent revisions: each with its outcome and problems, and for a served one what its plan
changed against the plan before (installs, upgrades, value keys; secrets masked)."""

from __future__ import annotations

from collections import defaultdict

from starlette.requests import Request

from fasit.plan import PlanChanges
from fasit.state import RevisionRecord
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
    plans: dict[str, list[PlanChanges]] = defaultdict(list)
    for entry in sources.read.plan_changes():
        plans[entry.revision.id].append(entry)
    served = None if store.current is None else store.current.revision.id

    def row(record: RevisionRecord) -> dict[str, object]:
        return {
            **shown.revision(record.revision),
            "outcome": record.outcome.value,
            "recorded_at": shown.time(record.recorded_at),
            "serving": record.revision.id == served,
            "errors": record.errors,
            "warnings": record.warnings,
            "problems": [shown.problem(problem) for problem in record.problems],
            "plans": [_plan(entry) for entry in plans.get(record.revision.id, ())],
        }

    return {"served": served, **page_of(store.history, paging, row)}


def _plan(entry: PlanChanges) -> dict[str, object]:
    return {
        "previous": None if entry.previous is None else entry.previous.id,
        "total": entry.total,
        "truncated": entry.truncated,
        "changes": [change.document() for change in entry.changes],
    }
