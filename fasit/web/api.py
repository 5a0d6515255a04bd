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
from fasit.web.progress import (
    AmbiguousRevision,
    Progress,
    ReleaseProgress,
    ReleaseState,
    find_revision,
    revision_progress,
)
from fasit.web.query import BadQuery, NotFound, status_filter, whole_number
from fasit.web.read import ReadSide, ReleaseIndex

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "LISTED_PER_STATE",
    "MAX_PAGE_SIZE",
    "progress",
    "progress_of",
    "releases",
    "replicas",
    "status",
]

DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 5_000
LISTED_PER_STATE = 100
"""Releases listed under `failed` and under `pending` in a progress answer (counts are whole)."""


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


def replicas(read: ReadSide) -> Response:
    """The replicas sharing the fleet, each with the environments it owns (the viewer's);
    no items for a controller that shares nothing."""
    ownership = read.replicas()
    items = (
        []
        if ownership is None
        else [
            {
                "id": replica.id,
                "http_addr": replica.http_addr,
                "grpc_addr": replica.grpc_addr,
                "environments": ownership.environments_of(replica.id),
                "last_seen": shown.time(replica.last_seen),
            }
            for replica in ownership.replicas
        ]
    )
    return JSONResponse({"items": items})


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


def progress_of(
    read: ReadSide,
    revision: str,
    feature: str | None = None,
    index: ReleaseIndex | None = None,
) -> Progress:
    """The rollout of the one recent revision whose id starts with `revision` (and, with
    `feature`, of that feature's releases), its releases looked up in `index` (kept by the
    caller across calls). Raises NotFound or AmbiguousRevision."""
    store = read.store
    plans = read.plan_changes()
    found = find_revision(revision, store.history, plans)
    return revision_progress(
        found,
        history=store.history,
        plans=plans,
        releases=(index or ReleaseIndex(read.fleet)).views(),
        served="" if store.current is None else store.current.revision.id,
        decided=read.decided_revision(),
        feature=feature,
    )


def progress(read: ReadSide, request: Request, index: ReleaseIndex) -> Response:
    """`GET /api/v1/revisions/{revision}/progress[?feature=F]`: 404 unknown, 409 ambiguous."""
    feature = request.query_params.get("feature") or None
    try:
        found = progress_of(read, request.path_params["revision"], feature, index)
    except NotFound as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    except AmbiguousRevision as exc:
        return JSONResponse({"error": str(exc)}, status_code=409)
    served = read.store.current
    counts = {state.value: 0 for state in ReleaseState}
    for release in found.releases:
        counts[release.state.value] += 1
    return JSONResponse(
        {
            "revision": shown.revision(found.revision),
            "serving": served is not None and served.revision.id == found.revision.id,
            "feature": feature,
            "state": found.verdict.value,
            "summary": found.summary,
            "counts": counts,
            "failed": _listed(found.having(ReleaseState.FAILED)),
            "pending": _listed(found.having(ReleaseState.PENDING)),
        }
    )


def _listed(releases: list[ReleaseProgress]) -> list[dict[str, object]]:
    return [
        {
            "environment": release.environment,
            "feature": release.feature,
            "change": release.change.value,
            "status": release.status or None,
            "message": release.message,
        }
        for release in releases[:LISTED_PER_STATE]
    ]
