"""Feature.yaml: what a chart version declares about itself (DESIGN.md §3).

It lives inside the chart (in-repo directory or OCI archive), so it has no apiVersion/kind.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, Strict, model_validator

from fasit.model._base import StateModel
from fasit.model.duration import DURATION_PATTERN, duration_seconds
from fasit.model.kinds import FeatureName, LaxEnvironmentKind

__all__ = ["ComputedSpec", "ConfigSpec", "ConfigType", "Dependency", "FeatureYaml", "ValueSpec"]


class ConfigType(StrEnum):
    """The type a config value must have."""

    STRING = "string"
    INT = "int"
    BOOL = "bool"
    STRING_ARRAY = "string_array"


class ConfigSpec(StateModel):
    """The value is operator-supplied config of this type; `secret` values only take secretRefs."""

    type: Annotated[ConfigType, Strict(False)] = Field(
        description="The type the config value must have."
    )
    secret: bool = Field(
        default=False, description="true: only a {secretRef: NAME} is accepted, never a value."
    )


class ComputedSpec(StateModel):
    """The value is computed by a sandboxed Jinja2 template; its output is parsed as YAML."""

    template: str = Field(
        description="Jinja2 (sandboxed, strict undefined); the output is parsed as YAML."
    )


class ValueSpec(StateModel):
    """One helm value a feature declares: config, computed, or both (config wins when set)."""

    display_name: str = Field(default="", description="A name for people (dashboard, explain).")
    description: str = Field(default="", description="For people: what the value does.")
    required: bool = Field(
        default=False, description="true: a release where it ends up unset is missing-config."
    )
    config: ConfigSpec | None = Field(
        default=None, description="Operators may set it (Feature config, Config); its type."
    )
    computed: ComputedSpec | None = Field(
        default=None, description="A template that computes it where config does not set it."
    )
    ignore_kind: list[LaxEnvironmentKind] = Field(
        default_factory=list, description="Environment kinds for which the value is left out."
    )

    @model_validator(mode="after")
    def _config_or_computed(self) -> ValueSpec:
        if self.config is None and self.computed is None:
            raise ValueError("a value needs `config`, `computed` or both")
        return self


class Dependency(StateModel):
    """One dependency rule: every feature of `allOf`, and at least one of `anyOf`, is planned
    (an entry may have both, as in nais/fasit)."""

    all_of: list[FeatureName] | None = Field(
        default=None,
        min_length=1,
        description="Every one of these features must be planned in the environment.",
    )
    any_of: list[FeatureName] | None = Field(
        default=None,
        min_length=1,
        description="At least one of these features must be planned in the environment.",
    )

    @model_validator(mode="after")
    def _at_least_one(self) -> Dependency:
        if self.all_of is None and self.any_of is None:
            raise ValueError("a dependency needs `allOf`, `anyOf` or both")
        return self

    @property
    def parts(self) -> list[tuple[str, list[str]]]:
        """(field as written, its feature names) for `allOf` and `anyOf`, where given."""
        return [
            (field, names)
            for field, names in (("allOf", self.all_of), ("anyOf", self.any_of))
            if names is not None
        ]

    @property
    def features(self) -> list[str]:
        """The feature names this rule mentions, each once."""
        return list(dict.fromkeys(name for _, names in self.parts for name in names))


class FeatureYaml(StateModel):
    """The Feature.yaml of one chart version."""

    environment_kinds: list[LaxEnvironmentKind] = Field(
        min_length=1,
        description="The environment kinds the feature runs on; elsewhere it is kind-mismatch.",
    )
    dependencies: list[Dependency] = Field(
        default_factory=list,
        description="Rules that must all hold; a dependent deploys after what it depends on.",
    )
    timeout: str = Field(
        default="5m",
        pattern=DURATION_PATTERN,
        min_length=2,
        description="Go-style duration: 1h, 10m, 90s, 1h30m.",
    )
    values: dict[str, ValueSpec] = Field(
        default_factory=dict,
        description=r"Helm key (dotted path; \. escapes a dot) to its declaration.",
    )
    metadata_values: bool = Field(
        default=False,
        description="Add the value block `fasit: {tenant: {name}, env: {name, kind}}` for"
        " templates that want it; off, helm gets exactly the declared values.",
    )

    @property
    def timeout_seconds(self) -> int:
        """The timeout as whole seconds."""
        return duration_seconds(self.timeout)
