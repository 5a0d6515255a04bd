"""Recent revisions: each with its outcome and problems, and for a served one what its plan
changed against the plan before (installs, upgrades, value keys; secrets masked)."""

from __future__ import annotations

from collections import defaultdict

from starlette.requests import Request

from fasit.plan import PlanChanges
from fasit.web import shown
from fasit.web.pages.sources import Sources

__all__ = ["revisions_page"]


async def revisions_page(sources: Sources, request: Request) -> dict[str, object]:
    store = sources.read.store
    plans: dict[str, list[PlanChanges]] = defaultdict(list)
    for entry in sources.read.plan_changes():
        plans[entry.revision.id].append(entry)
    served = None if store.current is None else store.current.revision.id
    return {
        "served": served,
        "items": [
            {
                **shown.revision(record.revision),
                "outcome": record.outcome.value,
                "recorded_at": shown.time(record.recorded_at),
                "serving": record.revision.id == served,
                "errors": record.errors,
                "warnings": record.warnings,
                "problems": [shown.problem(problem) for problem in record.problems],
                "plans": [_plan(entry) for entry in plans.get(record.revision.id, ())],
            }
            for record in store.history
        ],
    }


def _plan(entry: PlanChanges) -> dict[str, object]:
    return {
        "previous": None if entry.previous is None else entry.previous.id,
        "total": entry.total,
        "truncated": entry.truncated,
        "changes": [change.document() for change in entry.changes],
    }
