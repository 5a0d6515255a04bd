"""The overview: what is served, whether the newest revision failed and how stale that leaves
things, counts by status, features with failed/pending pills, environments needing attention
(any release in a status that needs a person, or no agent connected)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request

from fasit.web import shown
from fasit.web.pages.sources import Sources

__all__ = ["ATTENTION_SHOWN", "overview_page"]

ATTENTION_SHOWN = 100
"""Environments listed as needing attention at most; the environments page has the rest."""


async def overview_page(sources: Sources, request: Request) -> dict[str, object]:
    read = sources.read
    store = read.store
    summary = sources.summaries.current()
    current = store.current
    freshness = store.freshness
    failed = store.newest_failed
    banner = None
    if failed is not None:
        banner = {
            **shown.revision(failed.record.revision),
            "errors": failed.record.errors,
            "problems": [shown.problem(problem) for problem in failed.problems],
        }
    attention = []
    for environment, tally in summary.environments.items():
        agent = read.fleet.agent(environment)
        connected = agent is not None and agent.connected
        if tally.attention or not connected:
            attention.append(
                {
                    "environment": environment,
                    "connected": connected,
                    "failed": tally.failed,
                    "prune_refused": tally.prune_refused,
                    "offline": not connected,
                    "attention": tally.attention,
                    "statuses": tally.attention_statuses,
                    "releases": tally.total,
                }
            )
    return {
        "served": None if current is None else shown.revision(current.revision),
        "failed_revision": banner,
        "stale_since": shown.time(freshness.stale_since),
        "stale_seconds": None
        if freshness.stale_since is None
        else round((datetime.now(UTC) - freshness.stale_since).total_seconds()),
        "stale_reason": freshness.reason or None,
        "releases": summary.fleet.shown(),
        "agents": {
            "connected": read.agents_connected(),
            "environments": len(summary.environments),
        },
        "features": [
            {"feature": name, **tally.shown()} for name, tally in summary.features.items()
        ],
        "attention": attention[:ATTENTION_SHOWN],
        "attention_total": len(attention),
    }
