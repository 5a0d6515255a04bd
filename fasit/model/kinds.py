"""The document kinds of a state repository: Environment, Feature, Assignment, Config, Rollout.

Field names, required fields and defaults are the contract of DESIGN.md §2 (and issue 21 for
Rollout). Identity rules (tenant/name, feature + target, feature + environment, rollout name)
are enforced by the loader's cross-checks, not here: a model only knows its own document.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, JsonValue, Strict, field_validator

from fasit.model._base import KIND_DESCRIPTION, ApiVersion, DnsLabel, StateModel
from fasit.model.duration import DURATION_PATTERN, duration_seconds
from fasit.model.oci import OCI_SCHEME, parse_oci_chart
from fasit.model.secrets import is_secret_ref

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
    LEGACY = "legacy"
    """nais/fasit's kind for clusters that predate its tenant model; built in, as there."""


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

    api_version: ApiVersion
    kind: Literal["Environment"] = Field(description=KIND_DESCRIPTION)
    tenant: DnsLabel = Field(description="The tenant (team or organisation) it belongs to.")
    name: DnsLabel = Field(description="Its name within the tenant; identity is tenant/name.")
    environment_kind: LaxEnvironmentKind = Field(
        description="What kind of cluster it is; a feature runs only on the kinds its"
        " Feature.yaml lists. A tenant has at most one management environment."
    )
    labels: Labels = Field(
        default_factory=dict,
        description="What assignments target: an assignment reaches the environment when these"
        " contain every label of its target. Values are strings.",
    )
    values: Values = Field(
        default_factory=dict,
        description="Typed values seen by templates as env.<key>; `name` and `kind` are reserved.",
    )
    reconcile: bool = Field(
        default=True, description="false: planned as disabled, nothing is sent to the agent."
    )

    @field_validator("values")
    @classmethod
    def _values_are_named(cls, values: Values) -> Values:
        # Templates see env.<key>: the whole mapping cannot be one secret.
        if is_secret_ref(values):
            raise ValueError(
                "values is a mapping of named values, not a secret reference: put the secret"
                " under a key (values: {key: {secretRef: NAME}})"
            )
        return values

    @property
    def id(self) -> str:
        """The environment's identity, `tenant/name`."""
        return f"{self.tenant}/{self.name}"


class Feature(StateModel):
    """The registration of a feature: its chart, global config, prune policy, protection."""

    api_version: ApiVersion
    kind: Literal["Feature"] = Field(description=KIND_DESCRIPTION)
    name: FeatureName = Field(
        description="The feature's identity, and its helm release name (at most 53 characters)."
    )
    chart: str = Field(
        min_length=1,
        description="oci://host/path/name, or a directory in the state repo (charts/<feature>).",
    )
    namespace: DnsLabel | None = Field(
        default=None, description="The namespace helm installs into; null: the feature name."
    )
    description: str = Field(default="", description="For people: what the feature is.")
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

    api_version: ApiVersion
    kind: Literal["Assignment"] = Field(description=KIND_DESCRIPTION)
    feature: FeatureName = Field(description="The registered Feature it assigns a version of.")
    version: str = Field(
        min_length=1,
        description="The chart version (its tag or in-repo directory); quote versions that"
        " YAML would read as numbers.",
    )
    target: Labels = Field(description="Labels an environment must have; {} = every environment.")
    priority: int = Field(default=0, description="Breaks ties between equally specific targets.")
    enabled: bool = Field(default=True, description="A winning disabled assignment plans disabled.")
    description: str = Field(default="", description="For people: why this assignment exists.")
    redeploy: str = Field(default="", description="Change it to force one redeploy through git.")
    paused: bool = Field(
        default=False,
        description="true: nothing new of this assignment is sent (in-flight work finishes).",
    )
    reason: str = Field(default="", description="Why it is paused; shown in the status.")


class Config(StateModel):
    """Per-environment config overrides for one feature."""

    api_version: ApiVersion
    kind: Literal["Config"] = Field(description=KIND_DESCRIPTION)
    feature: FeatureName = Field(description="The registered Feature whose config it sets.")
    environment: EnvironmentId = Field(
        description="The environment it applies to, as tenant/name; identity is feature +"
        " environment."
    )
    values: Values = Field(
        description="Config values keyed by the Feature.yaml value keys of the version the"
        " environment gets; above the Feature's global config."
    )


class Wave(StateModel):
    """One wave of a Rollout: the environments its target selects, and how long the waves
    before it must have run a change healthy before it gets that change."""

    name: DnsLabel = Field(description="Unique within its Rollout; shown in statuses.")
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

    api_version: ApiVersion
    kind: Literal["Rollout"] = Field(description=KIND_DESCRIPTION)
    name: DnsLabel = Field(
        description="What Features name in `rollout:`; `default` is followed by every Feature"
        " that names none."
    )
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
