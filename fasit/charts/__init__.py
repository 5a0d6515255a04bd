"""Charts: resolve (chart location, version) into a chart with its digest and Feature.yaml.

In-repo charts now; oci:// charts arrive with the OCI issue. Knows nothing of plans or deploys.
"""

from fasit.charts.inrepo import InRepoCharts
from fasit.charts.resolved import ChartOutcome, ResolvedChart, Unavailable

__all__ = ["ChartOutcome", "InRepoCharts", "ResolvedChart", "Unavailable"]
