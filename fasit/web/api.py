"""The JSON status API (docs/api.md): what is served, what failed, every release's status.

Read-only: each handler reads the snapshot store, the reconciler and the agent hub, and
writes nothing. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fasit.reconcile import ReleaseView
from fasit.web import shown
from fasit.web.query import BadQuery, status_filter, whole_number
from fasit.web.read import ReadSide

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "releases", "status"]

DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 5_000


def status(read: ReadSide) -> Response:
    store = read.store
    current = store.current
    served = None
    if current is not None:
        revision = current.revision
        served = {
            "revision": revision.id,
            "time": shown.time(revision.time),
            "author": revision.author,
            "message": revision.message,
        }
    latest = None
    if store.history:
        newest = store.history[0]
        failed = store.newest_failed
        problems = () if failed is None else failed.problems
        latest = {
            "revision": newest.revision.id,
            "outcome": newest.outcome.value,
            "problems": [shown.problem(problem) for problem in problems],
        }
    freshness = store.freshness
    return JSONResponse(
        {
            "served": served,
            "latest": latest,
            "stale_since": shown.time(freshness.stale_since),
            "stale_reason": freshness.reason or None,
            "agents_connected": read.agents_connected(),
        }
    )


def releases(read: ReadSide, request: Request) -> Response:
    query = request.query_params
    try:
        limit = whole_number(query, "limit", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        after = _cursor_of(query.get("cursor"))
        wanted_status = status_filter(query)
    except BadQuery as exc:  # our own words, never a library's exception text
        return JSONResponse({"error": str(exc)}, status_code=400)
    matching = [
        view
        for view in read.fleet.releases()
        if query.get("environment", view.environment) == view.environment
        and query.get("feature", view.feature) == view.feature
        and (wanted_status is None or view.status is wanted_status)
    ]
    page = [view for view in matching if after is None or (view.environment, view.feature) > after]
    page_items, rest = page[:limit], page[limit:]
    next_cursor = _cursor(page_items[-1]) if rest else None
    return JSONResponse(
        {
            "items": [shown.release(view) for view in page_items],
            "total": len(matching),
            "next": next_cursor,
        }
    )


def _cursor(view: ReleaseView) -> str:
    key = f"{view.environment}\0{view.feature}".encode()
    return base64.urlsafe_b64encode(key).decode()


def _cursor_of(text: str | None) -> tuple[str, str] | None:
    if not text:
        return None
    try:
        key = base64.urlsafe_b64decode(text).decode()
    except (binascii.Error, ValueError):  # ValueError covers undecodable bytes
        key = ""
    environment, separator, feature = key.partition("\0")
    if not separator:
        raise BadQuery("cursor must be the next of a previous page")
    return environment, feature
