"""Pydantic models of the state kinds, the index file, Feature.yaml and Chart.yaml.

Imports nothing of fasit: every other stage builds on these.
"""

from fasit.model._base import API_VERSION, DnsLabel, StateModel
from fasit.model.chart_yaml import ChartYaml
from fasit.model.duration import duration_seconds, duration_text
from fasit.model.feature_yaml import (
    ComputedSpec,
    ConfigSpec,
    ConfigType,
    Dependency,
    FeatureYaml,
    ValueSpec,
)
from fasit.model.index import (
    DEFAULT_EXCLUDE,
    DEFAULT_INCLUDE,
    INDEX_FILE,
    IndexFile,
    PruneSettings,
)
from fasit.model.kinds import (
    Assignment,
    Config,
    Environment,
    EnvironmentId,
    EnvironmentKind,
    Feature,
    FeatureName,
    LabelKey,
    Rollout,
    StateDocument,
    Values,
    Wave,
)
from fasit.model.oci import OCI_SCHEME, OciChart, parse_oci_chart
from fasit.model.reference import FieldRow, field_rows, models_of, render_fields
from fasit.model.schemas import SCHEMA_MODELS, render_schema
from fasit.model.secrets import SECRET_REF, is_secret_ref

__all__ = [
    "API_VERSION",
    "DEFAULT_EXCLUDE",
    "DEFAULT_INCLUDE",
    "INDEX_FILE",
    "KINDS",
    "OCI_SCHEME",
    "SCHEMA_MODELS",
    "SECRET_REF",
    "Assignment",
    "ChartYaml",
    "ComputedSpec",
    "Config",
    "ConfigSpec",
    "ConfigType",
    "Dependency",
    "DnsLabel",
    "Environment",
    "EnvironmentId",
    "EnvironmentKind",
    "Feature",
    "FeatureName",
    "FeatureYaml",
    "FieldRow",
    "IndexFile",
    "LabelKey",
    "OciChart",
    "PruneSettings",
    "Rollout",
    "StateDocument",
    "StateModel",
    "ValueSpec",
    "Values",
    "Wave",
    "duration_seconds",
    "duration_text",
    "field_rows",
    "is_secret_ref",
    "models_of",
    "parse_oci_chart",
    "render_fields",
    "render_schema",
]

KINDS: dict[str, type[StateDocument]] = {
    "Environment": Environment,
    "Feature": Feature,
    "Assignment": Assignment,
    "Config": Config,
    "Rollout": Rollout,
}
