"""Web: the HTTP side of `fasit serve`. Reads every stage before it, never writes desired state.

The read-only app: the dashboard (pages/, templates/, static/) with a JSON twin of every page,
live updates by Server-Sent Events, health, readiness, the JSON status API, metrics, the git
webhook, and the route agents fetch in-repo chart archives from (docs/charts.md).
"""

from fasit.web.api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, progress_of
from fasit.web.app import ReadOnly, create_app
from fasit.web.charts import chart_route
from fasit.web.live import EVENTS_PATH, LiveUpdates
from fasit.web.metrics import FasitMetrics
from fasit.web.progress import (
    AmbiguousRevision,
    Progress,
    ReleaseProgress,
    ReleaseState,
    Verdict,
)
from fasit.web.read import Fleet, History, NoHistory, ReadSide, ReleaseIndex
from fasit.web.webhook import MAX_HOOK_BYTES, WEBHOOK_PATH, webhook_route

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "EVENTS_PATH",
    "MAX_HOOK_BYTES",
    "MAX_PAGE_SIZE",
    "WEBHOOK_PATH",
    "AmbiguousRevision",
    "FasitMetrics",
    "Fleet",
    "History",
    "LiveUpdates",
    "NoHistory",
    "Progress",
    "ReadOnly",
    "ReadSide",
    "ReleaseIndex",
    "ReleaseProgress",
    "ReleaseState",
    "Verdict",
    "chart_route",
    "create_app",
    "progress_of",
    "webhook_route",
]
