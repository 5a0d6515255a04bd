"""Plan: targeting, checks against each assigned version's Feature.yaml, and (later) values.

Pure over immutable data: knows nothing of gRPC, deploys or the web.
"""

from fasit.plan.config_values import ConfigIssue, check_config_value
from fasit.plan.feature_checks import ChartSet, check_features, resolve_charts

__all__ = [
    "ChartSet",
    "ConfigIssue",
    "check_config_value",
    "check_features",
    "resolve_charts",
]
