"""The document kinds of a state repository: Environment, Feature, Assignment, Config, Rollout.

Field names, required fields and defaults are the contract of DESIGN.md §2 (and issue 21 for
Rollout). Identity rules (tenant/name, feature + target, feature + environment, rollout name)
are enforced by the loader's cross-checks, not here: a model only knows its own document.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, JsonValue, Strict, field_validator

from fasit.model._base import DnsLabel, StateModel
from fasit.model.duration import DURATION_PATTERN, duration_seconds
from fasit.model.oci import OCI_SCHEME, parse_oci_chart

__all__ = [
    "Assignment",
    "Config",
    "Environment",
    "EnvironmentId",
    "EnvironmentKind",
    "Feature",
    "FeatureName",
    "LabelKey",
    "Rollout",
    "StateDocument",
    "Values",
    "Wave",
]


class EnvironmentKind(StrEnum):
    """What kind of cluster an environment is; Feature.yaml lists the kinds a feature runs on."""

    TENANT = "tenant"
    MANAGEMENT = "management"
    ONPREM = "onprem"


# Enums come from YAML as plain strings, so they are validated laxly (by value).
LaxEnvironmentKind = Annotated[EnvironmentKind, Strict(False)]

# Kubernetes-style label keys: an optional DNS prefix and a name.
LabelKey = Annotated[
    str,
    Field(
        pattern=r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$",
        max_length=253,
    ),
]
Labels = dict[LabelKey, str]
# Typed YAML values; a mapping `{secretRef: NAME}` anywhere inside is a secret reference.
Values = dict[str, JsonValue]
EnvironmentId = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        description="An environment's identity: tenant/name.",
    ),
]
FeatureName = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        min_length=1,
        max_length=53,
        description="A feature's name; also its helm release name (at most 53 characters).",
    ),
]


class Environment(StateModel):
    """One Kubernetes cluster of a tenant; identity tenant/name."""

    api_version: Literal["fasit/v1"]
    kind: Literal["Environment"]
    tenant: DnsLabel
    name: DnsLabel
    environment_kind: LaxEnvironmentKind
    labels: Labels = Field(default_factory=dict)
    values: Values = Field(
        default_factory=dict,
        description="Typed values seen by templates as env.<key>; `name` and `kind` are reserved.",
    )
    reconcile: bool = Field(
        default=True, description="false: planned as disabled, nothing is sent to the agent."
    )

    @property
    def id(self) -> str:
        """The environment's identity, `tenant/name`."""
        return f"{self.tenant}/{self.name}"


class Feature(StateModel):
    """The registration of a feature: its chart, global config, prune policy, protection."""

    api_version: Literal["fasit/v1"]
    kind: Literal["Feature"]
    name: FeatureName
    chart: str = Field(
        min_length=1,
        description="oci://host/path/name, or a directory in the state repo (charts/<feature>).",
    )
    namespace: DnsLabel | None = Field(default=None, description="Default: the feature name.")
    description: str = ""
    config: Values = Field(
        default_factory=dict, description="Global config values, keyed by Feature.yaml value keys."
    )
    prune: bool = Field(
        default=False, description="true: uninstall where no assignment matches any more."
    )
    protected: bool = Field(
        default=False,
        description="true: never uninstalled, whatever `prune` says (fasit's own agent).",
    )
    rollout: DnsLabel | None = Field(
        default=None,
        description="The Rollout whose waves a change of this feature follows; default: the"
        " Rollout named `default` if there is one, else every environment at once.",
    )

    @field_validator("chart")
    @classmethod
    def _chart_location(cls, chart: str) -> str:
        if chart.startswith(OCI_SCHEME):
            parse_oci_chart(chart)
            return chart
        if "://" in chart:
            raise ValueError(f"{chart!r}: charts come from oci:// registries or the state repo")
        parts = chart.split("/")
        if chart.startswith("/") or ".." in parts or "" in parts or "." in parts:
            raise ValueError(
                f"{chart!r}: an in-repo chart is a plain relative path such as charts/<feature>"
            )
        return chart

    @property
    def release_namespace(self) -> str:
        """The namespace the release goes to: `namespace`, or the feature name."""
        return self.namespace or self.name

    @property
    def is_oci(self) -> bool:
        """Whether the chart comes from an OCI registry rather than the state repository."""
        return self.chart.startswith(OCI_SCHEME)


class Assignment(StateModel):
    """Feature F at version V goes to every environment whose labels contain `target`."""

    api_version: Literal["fasit/v1"]
    kind: Literal["Assignment"]
    feature: FeatureName
    version: str = Field(
        min_length=1, description="Quote versions that YAML would read as numbers."
    )
    target: Labels = Field(description="Labels an environment must have; {} = every environment.")
    priority: int = Field(default=0, description="Breaks ties between equally specific targets.")
    enabled: bool = Field(default=True, description="A winning disabled assignment plans disabled.")
    description: str = ""
    redeploy: str = Field(default="", description="Change it to force one redeploy through git.")
    paused: bool = Field(
        default=False,
        description="true: nothing new of this assignment is sent (in-flight work finishes).",
    )
    reason: str = Field(default="", description="Why it is paused; shown in the status.")


class Config(StateModel):
    """Per-environment config overrides for one feature."""

    api_version: Literal["fasit/v1"]
    kind: Literal["Config"]
    feature: FeatureName
    environment: EnvironmentId
    values: Values


class Wave(StateModel):
    """One wave of a Rollout: the environments its target selects, and how long the waves
    before it must have run a change healthy before it gets that change."""

    name: DnsLabel
    target: Labels = Field(description="Labels an environment must have, as in assignments.")
    soak: str = Field(
        default="0s",
        pattern=DURATION_PATTERN,
        min_length=2,
        description="Go-style duration (10m, 1h30m): every environment of the waves before"
        " must have been DEPLOYED at the change this long before this wave gets it.",
    )

    @property
    def soak_seconds(self) -> int:
        return duration_seconds(self.soak)


class Rollout(StateModel):
    """The order in which a change of a feature reaches environments: waves, then the rest."""

    api_version: Literal["fasit/v1"]
    kind: Literal["Rollout"]
    name: DnsLabel
    waves: list[Wave] = Field(
        min_length=1,
        description="In order; environments no wave selects form an implicit last wave.",
    )
    skip_offline: bool = Field(
        default=False,
        description="true: environments without a connected agent do not hold their wave.",
    )
    paused: bool = Field(
        default=False,
        description="true: nothing new is sent for the features that follow this Rollout.",
    )
    reason: str = Field(default="", description="Why it is paused; shown in the status.")


StateDocument = Environment | Feature | Assignment | Config | Rollout
