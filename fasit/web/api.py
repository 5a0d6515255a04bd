"""The JSON status API (docs/api.md): what is served, what failed, every release's status.

Read-only: each handler reads the snapshot store, the reconciler and the agent hub, and
writes nothing. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fasit.reconcile import ReleaseView, Status
from fasit.state import Problem, SnapshotStore

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "ReadSide", "releases", "status"]

DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 5_000


@dataclass(frozen=True, slots=True)
class ReadSide:
    """What the surfaces read: the snapshot store, the reconciler's statuses, the agents."""

    store: SnapshotStore
    releases: Callable[[], list[ReleaseView]]
    agents_connected: Callable[[], int]


def status(read: ReadSide) -> Response:
    store = read.store
    current = store.current
    served = None
    if current is not None:
        revision = current.revision
        served = {
            "revision": revision.id,
            "time": _time(revision.time),
            "author": revision.author,
            "message": revision.message,
        }
    latest = None
    if store.history:
        newest = store.history[0]
        failed = store.failed
        problems = (
            failed.problems
            if failed is not None and failed.record.revision.id == newest.revision.id
            else ()
        )
        latest = {
            "revision": newest.revision.id,
            "outcome": newest.outcome.value,
            "problems": [_problem(problem) for problem in problems],
        }
    freshness = store.freshness
    return JSONResponse(
        {
            "served": served,
            "latest": latest,
            "stale_since": _time(freshness.stale_since) if freshness.stale_since else None,
            "stale_reason": freshness.reason or None,
            "agents_connected": read.agents_connected(),
        }
    )


def releases(read: ReadSide, request: Request) -> Response:
    query = request.query_params
    try:
        limit = int(query.get("limit", DEFAULT_PAGE_SIZE))
        after = _cursor_of(query.get("cursor"))
        wanted_status = Status(query["status"]) if "status" in query else None
    except (ValueError, binascii.Error) as exc:
        return JSONResponse({"error": f"bad query: {exc}"}, status_code=400)
    if not 1 <= limit <= MAX_PAGE_SIZE:
        return JSONResponse({"error": f"limit must be 1..{MAX_PAGE_SIZE}"}, status_code=400)
    matching = [
        view
        for view in read.releases()
        if query.get("environment", view.environment) == view.environment
        and query.get("feature", view.feature) == view.feature
        and (wanted_status is None or view.status is wanted_status)
    ]
    page = [view for view in matching if after is None or (view.environment, view.feature) > after]
    shown, rest = page[:limit], page[limit:]
    next_cursor = _cursor(shown[-1]) if rest else None
    return JSONResponse(
        {"items": [_release(view) for view in shown], "total": len(matching), "next": next_cursor}
    )


def _release(view: ReleaseView) -> dict[str, object]:
    return {
        "environment": view.environment,
        "feature": view.feature,
        "status": view.status.value,
        "reason": view.reason.value,
        "desired_version": view.desired_version or None,
        "running_version": view.running_version or None,
        "message": view.message,
        "updated_at": _time(view.updated_at),
    }


def _problem(problem: Problem) -> dict[str, object]:
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "code": problem.code.value,
        "message": problem.message,
    }


def _cursor(view: ReleaseView) -> str:
    key = f"{view.environment}\0{view.feature}".encode()
    return base64.urlsafe_b64encode(key).decode()


def _cursor_of(text: str | None) -> tuple[str, str] | None:
    if not text:
        return None
    environment, separator, feature = base64.urlsafe_b64decode(text).decode().partition("\0")
    if not separator:
        raise ValueError("unknown cursor")
    return environment, feature


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
