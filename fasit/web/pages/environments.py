"""Environments (filtered by label, tenant, kind and status), and one environment: labels,
values (secrets masked), its agent, and every release there, orphans included."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request

from fasit.model import Environment, EnvironmentKind
from fasit.reconcile import AgentView, Status
from fasit.state import Located
from fasit.web import shown
from fasit.web.pages.sources import Sources
from fasit.web.query import (
    NotFound,
    Paging,
    choice_filter,
    label_filter,
    page_of,
    status_filter,
)
from fasit.web.summary import FleetSummary

__all__ = ["chosen_environments", "environment_page", "environments_page"]


async def environments_page(sources: Sources, request: Request) -> dict[str, object]:
    """`label=K=V` (repeatable), `tenant`: exact; `kind`, `status` (any case): a kind, a release
    in that status
    (OFFLINE: the agent is not connected)."""
    query = request.query_params
    paging = Paging.of(query)
    labels = label_filter(query)
    tenant = query.get("tenant", "")
    kind = choice_filter(query, "kind", EnvironmentKind)
    wanted = status_filter(query)
    summary = sources.summaries.current()
    agent = sources.read.fleet.agent
    chosen = chosen_environments(summary, labels=labels, tenant=tenant, kind=kind, status=wanted)

    def row(name: str) -> dict[str, object]:
        return {
            **_identity(name, summary.declared.get(name)),
            "agent": _agent(agent(name)),
            **summary.environments[name].shown(),
        }

    return {
        "filters": {"label": labels, "tenant": tenant, "kind": kind, "status": wanted},
        "tenants": sorted({name.partition("/")[0] for name in summary.environments}),
        "kinds": sorted({e.model.environment_kind for e in summary.declared.values()}),
        **page_of(chosen, paging, row),
    }


async def environment_page(sources: Sources, request: Request) -> dict[str, object]:
    name = f"{request.path_params['tenant']}/{request.path_params['name']}"
    summary = sources.summaries.current()
    located = summary.declared.get(name)
    if located is None and name not in summary.environments:
        raise NotFound(f"no environment {name!r} in the served revision or among the agents")
    views = summary.by_environment.get(name, ())
    return {
        **_identity(name, located),
        "values": {} if located is None else shown.masked_values(located.model.values),
        "reconcile": None if located is None else located.model.reconcile,
        "file": None if located is None else located.file,
        "agent": _agent(sources.read.fleet.agent(name)),
        **_tally(summary, name),
        "releases": [shown.release(view) for view in views],
    }


def chosen_environments(
    summary: FleetSummary,
    *,
    labels: Mapping[str, str],
    tenant: str = "",
    kind: EnvironmentKind | None = None,
    status: Status | None = None,
) -> list[str]:
    """The ids of the summary's environments (sorted) that have every label of `labels`, are of
    `tenant` and `kind` when given, and have a release in `status` when given (OFFLINE: one
    whose agent is not connected). An environment only agents know has no labels or kind."""
    chosen = []
    for name, tally in summary.environments.items():
        located = summary.declared.get(name)
        model = None if located is None else located.model
        if labels and (model is None or any(model.labels.get(k) != v for k, v in labels.items())):
            continue
        if tenant and name.partition("/")[0] != tenant:
            continue
        if kind is not None and (model is None or model.environment_kind != kind):
            continue
        if status is not None and not tally.counts.get(status, 0):
            continue
        chosen.append(name)
    return chosen


def _identity(name: str, located: Located[Environment] | None) -> dict[str, object]:
    tenant, _, short = name.partition("/")
    model = None if located is None else located.model
    return {
        "environment": name,
        "tenant": tenant,
        "name": short,
        "declared": model is not None,
        "kind": None if model is None else model.environment_kind,
        "labels": {} if model is None else dict(sorted(model.labels.items())),
    }


def _agent(agent: AgentView | None) -> dict[str, object]:
    if agent is None:
        return {"connected": False, "last_seen": None, "session": None, "inventory_error": None}
    return {
        "connected": agent.connected,
        "last_seen": shown.time(agent.last_seen),
        "session": agent.session_id or None,
        "inventory_error": agent.inventory_error or None,
    }


def _tally(summary: FleetSummary, name: str) -> dict[str, object]:
    tally = summary.environments.get(name)
    return {} if tally is None else tally.shown()
