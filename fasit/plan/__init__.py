"""Plan: desired releases from a snapshot and its charts; values, templates and secrets.

Pure over immutable data (a secret provider aside): knows nothing of gRPC, deploys or the web.
`validate_tree` is the one build of a tree, snapshot to plan, that the one-shot commands run.
"""

from fasit.plan.config_values import ConfigIssue, check_config_value
from fasit.plan.diff import Change, ChangeKind, ValueChange, diff_plans, version_key
from fasit.plan.explain import AssignmentVerdict, Explanation, explain
from fasit.plan.feature_checks import (
    ChartSet,
    check_features,
    oci_charts_wanted,
    resolve_charts,
)
from fasit.plan.history import PlanChanges, PlanHistory
from fasit.plan.keys import KeyConflict, nest, split_key
from fasit.plan.planner import Planner
from fasit.plan.release import (
    DesiredRelease,
    Location,
    ReleaseStatus,
    ValueOrigin,
    ValueSource,
    release_hash,
)
from fasit.plan.release_checks import release_problems
from fasit.plan.revision_plan import Plan
from fasit.plan.rollout_order import RolloutOrder, WaveStep, rollout_orders, wave_label
from fasit.plan.sandbox import RenderLimits
from fasit.plan.secrets import (
    MASK,
    Placeholders,
    SecretMissing,
    SecretProvider,
    SecretsDirectory,
)
from fasit.plan.server_values import (
    PlaceholderValues,
    ServerValues,
    TemplateValueError,
    parse_template_value,
)
from fasit.plan.templates import TemplateEngine, TemplateError
from fasit.plan.validation import FetchOci, Validation, validate_tree

__all__ = [
    "MASK",
    "AssignmentVerdict",
    "Change",
    "ChangeKind",
    "ChartSet",
    "ConfigIssue",
    "DesiredRelease",
    "Explanation",
    "FetchOci",
    "KeyConflict",
    "Location",
    "PlaceholderValues",
    "Placeholders",
    "Plan",
    "PlanChanges",
    "PlanHistory",
    "Planner",
    "ReleaseStatus",
    "RenderLimits",
    "RolloutOrder",
    "SecretMissing",
    "SecretProvider",
    "SecretsDirectory",
    "ServerValues",
    "TemplateEngine",
    "TemplateError",
    "TemplateValueError",
    "Validation",
    "ValueChange",
    "ValueOrigin",
    "ValueSource",
    "WaveStep",
    "check_config_value",
    "check_features",
    "diff_plans",
    "explain",
    "nest",
    "oci_charts_wanted",
    "parse_template_value",
    "release_hash",
    "release_problems",
    "resolve_charts",
    "rollout_orders",
    "split_key",
    "validate_tree",
    "version_key",
    "wave_label",
]
