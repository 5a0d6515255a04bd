"""Features, and one feature: its status in every environment (desired against running
version), when it last deployed, its assignments with the environments each matches, and how
long its recent deploys took (from the status store's deploy log)."""

from __future__ import annotations

from starlette.requests import Request

from fasit.errors import StatusUnavailable
from fasit.model import Assignment
from fasit.state import Located, Snapshot
from fasit.web import shown
from fasit.web.pages.sources import Sources
from fasit.web.pictures import deploy_durations
from fasit.web.query import NotFound, Paging, page_of, status_filter
from fasit.web.viewer import Viewer

__all__ = ["DURATIONS_SHOWN", "MATCHES_SHOWN", "feature_page", "features_page"]

MATCHES_SHOWN = 50
"""Environment ids listed per assignment at most (the count is always whole)."""
DURATIONS_SHOWN = 100
"""The newest finished deploys whose durations the feature page draws."""


async def features_page(sources: Sources, request: Request) -> dict[str, object]:
    """`q`: part of the name; `status`: features with a release in that status."""
    query = request.query_params
    paging = Paging.of(query)
    wanted = status_filter(query)
    needle = query.get("q", "").strip().lower()
    summary = sources.summaries.current()
    names = [
        name
        for name, tally in summary.features.items()
        if needle in name.lower() and (wanted is None or tally.counts.get(wanted, 0))
    ]
    snapshot = sources.snapshot()
    features = {} if snapshot is None else snapshot.index.features

    def row(name: str) -> dict[str, object]:
        located = features.get(name)
        return {
            "feature": name,
            "chart": None if located is None else located.model.chart,
            "description": "" if located is None else located.model.description,
            **summary.features[name].shown(),
        }

    return {"filters": {"q": needle, "status": wanted}, **page_of(names, paging, row)}


async def feature_page(sources: Sources, request: Request) -> dict[str, object]:
    """`status`: only the environments where the feature has that status."""
    name = request.path_params["feature"]
    query = request.query_params
    paging = Paging.of(query)
    wanted = status_filter(query)
    summary = sources.summaries.current()
    snapshot = sources.snapshot()
    located = None if snapshot is None else snapshot.index.features.get(name)
    if name not in summary.features:  # every registered feature, for a viewer of them all
        raise NotFound(f"no feature {name!r} in the served revision or on any agent")
    views = [
        view for view in summary.by_feature.get(name, ()) if wanted is None or view.status is wanted
    ]
    tally = summary.features.get(name)
    environments = [view.environment for view in summary.by_feature.get(name, ())]
    try:
        finished = await sources.read.history.finished_deploys(name, environments, DURATIONS_SHOWN)
        durations: dict[str, object] | None = deploy_durations(finished)
    except StatusUnavailable:  # the store logged why; the rest of the page stands without it
        durations = None
    return {
        "feature": name,
        "registered": None
        if located is None
        else {
            "chart": located.model.chart,
            "description": located.model.description,
            "namespace": located.model.release_namespace,
            "prune": located.model.prune,
            "file": located.file,
            "line": located.position("name").line,
        },
        **({} if tally is None else tally.shown()),
        "filters": {"status": wanted},
        "releases": page_of(views, paging, shown.release),
        "assignments": [] if snapshot is None else _assignments(snapshot, name, sources.viewer),
        "durations": durations,
    }


def _assignments(snapshot: Snapshot, feature: str, viewer: Viewer) -> list[dict[str, object]]:
    """The feature's assignments (a tenant viewer's snapshot holds those that reach its
    environments), with the environments each reaches counted over what the viewer sees (the
    targeting is the whole snapshot's)."""
    sees = viewer.sees
    targeting = snapshot.targeting
    won: dict[str, int] = {}
    for (environment, winner_feature), winner in targeting.winners.items():
        if winner_feature == feature and sees(environment):
            won[winner.key] = won.get(winner.key, 0) + 1
    shown = []
    for assignment in snapshot.index.assignments:
        if assignment.model.feature != feature:
            continue
        matched = [name for name in targeting.matched(assignment) if sees(name)]
        shown.append(_assignment(assignment, matched, won.get(assignment.key, 0)))
    return shown


def _assignment(assignment: Located[Assignment], matched: list[str], won: int) -> dict[str, object]:
    model = assignment.model
    return {
        "file": assignment.file,
        "line": assignment.position("version").line,
        "version": model.version,
        "target": model.target,
        "priority": model.priority,
        "enabled": model.enabled,
        "matched": len(matched),
        "won": won,
        "environments": matched[:MATCHES_SHOWN],
    }
