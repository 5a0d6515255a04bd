"""The fleet matrix: features as rows, environments as columns grouped by tenant, each cell a
release's status and running version. Built from the viewer's fleet summary (pages.sources),
so a tenant viewer's matrix has only its own columns and counts; never reads the status store.

A fleet of 1,000 environments by 200 features is shown a window at a time: `limit` columns
from the environment `envs_from` on (links name the windows before and after), and `per_page`
rows per `page`, so a render costs the cells it shows, not the fleet.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from starlette.datastructures import QueryParams
from starlette.requests import Request

from fasit.reconcile import ReleaseView, Status
from fasit.web import shown
from fasit.web.pages.environments import chosen_environments
from fasit.web.pages.sources import Sources
from fasit.web.query import Paging, label_filter, page_of, status_filter, whole_number
from fasit.web.summary import FleetSummary, Tally

__all__ = [
    "COLUMNS",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "ROWS",
    "MatrixQuery",
    "matrix_of",
    "matrix_page",
]

COLUMNS = 50
"""Environments per window unless `limit` says otherwise."""
MAX_COLUMNS = 200
ROWS = 200
"""Features per page unless `per_page` says otherwise."""
MAX_ROWS = 500


@dataclass(frozen=True, slots=True)
class MatrixQuery:
    """What a matrix request asks for: filters, the column window and the page of rows."""

    labels: Mapping[str, str]
    tenant: str = ""
    status: Status | None = None
    q: str = ""
    """Part of a feature's name (any case)."""
    envs_from: str = ""
    """The first column: this environment, or the first after it in id order ("": the first)."""
    limit: int = COLUMNS
    page: int = 1
    per_page: int = ROWS

    @classmethod
    def of(cls, query: QueryParams) -> MatrixQuery:
        """The query string's request; BadQuery (a 400 in our words) for a bad value."""
        return cls(
            labels=label_filter(query),
            tenant=query.get("tenant", ""),
            status=status_filter(query),
            q=query.get("q", "").strip().lower(),
            envs_from=query.get("envs_from", ""),
            limit=whole_number(query, "limit", COLUMNS, MAX_COLUMNS),
            page=whole_number(query, "page", 1),
            per_page=whole_number(query, "per_page", ROWS, MAX_ROWS),
        )


async def matrix_page(sources: Sources, request: Request) -> dict[str, object]:
    """`label=K=V` (repeatable), `tenant`, `status`: which environments are columns (and, for
    `status`, which features are rows); `q`: part of a feature name; `envs_from`, `limit`: the
    column window; `page`, `per_page`: the rows."""
    asked = MatrixQuery.of(request.query_params)
    agent = sources.read.fleet.agent

    def connected(environment: str) -> bool:
        found = agent(environment)
        return found is not None and found.connected

    summary = sources.summaries.current()
    return matrix_of(summary, asked, connected)


def matrix_of(
    summary: FleetSummary, asked: MatrixQuery, connected: Callable[[str], bool]
) -> dict[str, object]:
    """The matrix `asked` for over `summary`, its columns' agents from `connected`.

    Columns are the environments the filters choose, in id order (so by tenant), cut to the
    window; rows are the features with a release (in `status`, when given) in any chosen
    environment, not only the window's, so moving the window keeps the rows.
    """
    chosen = chosen_environments(
        summary, labels=asked.labels, tenant=asked.tenant, status=asked.status
    )
    start = bisect.bisect_left(chosen, asked.envs_from) if asked.envs_from else 0
    window = chosen[start : start + asked.limit]
    after = start + asked.limit
    columns = [
        {
            "environment": name,
            "tenant": name.partition("/")[0],
            "name": name.partition("/")[2],
            "connected": connected(name),
        }
        for name in window
    ]
    rows = _rows(summary, chosen, asked)
    by_column = [_by_feature(summary.by_environment.get(name, ())) for name in window]

    def row(feature: str) -> dict[str, object]:
        return {"feature": feature, "cells": [_cell(cells.get(feature)) for cells in by_column]}

    counts: Counter[Status] = Counter()
    for name in chosen:
        counts.update(summary.environments[name].counts)
    return {
        "filters": {
            "label": dict(asked.labels),
            "tenant": asked.tenant,
            "status": asked.status,
            "q": asked.q,
        },
        "tenants": sorted({name.partition("/")[0] for name in summary.environments}),
        "releases": Tally(counts, sum(counts.values())).shown(),
        "environments": {
            "total": len(chosen),
            "from": window[0] if window else None,
            "limit": asked.limit,
            "previous": chosen[max(0, start - asked.limit)] if start > 0 else None,
            "next": chosen[after] if after < len(chosen) else None,
            "first_index": start + 1 if window else 0,
            "last_index": start + len(window),
            "items": columns,
        },
        "groups": _groups(window),
        "features": page_of(rows, Paging(asked.page, asked.per_page), row),
    }


def _rows(summary: FleetSummary, chosen: Sequence[str], asked: MatrixQuery) -> list[str]:
    every = len(chosen) == len(summary.environments)
    among = set(chosen)
    rows = []
    for feature in summary.features:
        if asked.q not in feature.lower():
            continue
        views = summary.by_feature.get(feature, ())
        if any(
            (every or view.environment in among)
            and (asked.status is None or view.status is asked.status)
            for view in views
        ):
            rows.append(feature)
    return rows


def _by_feature(views: Sequence[ReleaseView]) -> dict[str, ReleaseView]:
    return {view.feature: view for view in views}


def _cell(view: ReleaseView | None) -> dict[str, object] | None:
    """A cell as the page and twin show it: None where the feature has no release there."""
    if view is None:
        return None
    return {
        "status": view.status.value,
        "running_version": view.running_version or None,
        "desired_version": view.desired_version or None,
        "rolling": shown.is_rolling(view),
    }


def _groups(window: Sequence[str]) -> list[dict[str, object]]:
    """The window's tenants in order, each with how many of its columns are in the window."""
    tenants = itertools.groupby(window, key=lambda name: name.partition("/")[0])
    return [{"tenant": tenant, "columns": len(list(names))} for tenant, names in tenants]
