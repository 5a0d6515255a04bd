"""The web stage: the HTTP routes `fasit serve` mounts on its address.

Today the one route agents use, `GET /charts/sha256:<hex>.tgz` (in-repo chart archives,
docs/charts.md). It reads what earlier stages hold and never changes it.
"""

from fasit.web.charts import chart_route

__all__ = ["chart_route"]
