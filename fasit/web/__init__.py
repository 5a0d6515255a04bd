"""Web: the HTTP side of `fasit serve`. Reads every stage before it, never writes desired state.

The read-only app (health, readiness, the JSON status API) and the route agents fetch in-repo
chart archives from (`GET /charts/sha256:<hex>.tgz`, docs/charts.md).
"""

from fasit.web.api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ReadSide
from fasit.web.app import ReadOnly, create_app
from fasit.web.charts import chart_route
from fasit.web.metrics import FasitMetrics
from fasit.web.webhook import MAX_HOOK_BYTES, WEBHOOK_PATH, webhook_route

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_HOOK_BYTES",
    "MAX_PAGE_SIZE",
    "WEBHOOK_PATH",
    "FasitMetrics",
    "ReadOnly",
    "ReadSide",
    "chart_route",
    "create_app",
    "webhook_route",
]
