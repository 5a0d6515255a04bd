"""Rollouts: each change on its way through its Rollout's waves, with each environment's
progress, the soak still to go and what halted or paused it. Its JSON twin is the status API's
/api/v1/rollouts (docs/api.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request

from fasit.web import shown
from fasit.web.pages.sources import Sources

__all__ = ["rollouts_page"]


async def rollouts_page(sources: Sources, request: Request) -> dict[str, object]:
    """Every change not yet DEPLOYED everywhere it goes, by feature then version."""
    now = datetime.now(UTC)
    return {"items": [shown.rollout(change, now) for change in sources.read.rollouts()]}
