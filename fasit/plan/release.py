"""DesiredRelease: what one environment should run of one feature, and why (DESIGN.md §4).

A release keeps references to the documents it was planned from, so its provenance (the
winning assignment, and each value's source file and line) is worked out only when someone
asks: a plan of 100,000 releases does not pay for positions nobody reads. The release hash
is computed on first use too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from fasit.charts import ResolvedChart
from fasit.model import Assignment, Config, Environment, Feature
from fasit.plan.keys import nest
from fasit.plan.secrets import MASK
from fasit.state import Located, ProblemCode

__all__ = [
    "DesiredRelease",
    "Location",
    "ReleaseStatus",
    "ValueOrigin",
    "ValueSource",
    "release_hash",
]


class ReleaseStatus(StrEnum):
    """The planner's verdict on one (environment, feature): planned, or what stops it."""

    PLANNED = "planned"
    DISABLED = "disabled"
    KIND_MISMATCH = "kind-mismatch"
    MISSING_DEPENDENCY = "missing-dependency"
    CHART_UNAVAILABLE = "chart-unavailable"
    RENDER_ERROR = "render-error"
    MISSING_CONFIG = "missing-config"
    VALUES_INVALID = "values-invalid"


class ValueOrigin(StrEnum):
    """Which layer a value came from (lowest to highest precedence)."""

    COMPUTED = "computed"
    FEATURE_CONFIG = "feature-config"
    ENVIRONMENT_CONFIG = "environment-config"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in the state repository (or a chart) for people: file and line."""

    file: str
    line: int | None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class ValueSource:
    """One value of a release, where it came from, and whether people may see it."""

    key: str
    value: object
    """The real value (secrets resolved): for the agent and the hash, never for display."""
    origin: ValueOrigin
    location: Location
    secret: bool

    @property
    def shown(self) -> object:
        """The value as people may see it."""
        return MASK if self.secret else self.value


@dataclass(frozen=True, slots=True, eq=False)
class DesiredRelease:
    """One (environment, winning assignment) as planned.

    `values` are the helm values, exactly what helm gets (nested, secrets resolved; the
    `fasit:` block only if the Feature.yaml opts in) and are empty unless the status is planned.
    `flat` holds the values by their Feature.yaml key.
    """

    environment: Located[Environment]
    feature: Located[Feature]
    assignment: Located[Assignment]
    status: ReleaseStatus
    message: str
    chart: ResolvedChart | None
    config: Located[Config] | None = None
    flat: Mapping[str, object] = field(default_factory=dict)
    values: Mapping[str, object] = field(default_factory=dict)
    secret_keys: frozenset[str] = frozenset()
    """Keys whose value is a secret or was computed from one: masked for people."""
    depends_on: tuple[str, ...] = ()
    """Features this release waits for in its environment (planned dependencies)."""
    problem: Location | None = None
    """Where the problem behind a render-error, missing-config or values-invalid can be fixed."""
    code: ProblemCode | None = None
    """The problem code behind a status other than planned (what validate reports)."""
    _hash: list[str] = field(default_factory=list, repr=False)

    @property
    def environment_id(self) -> str:
        return self.environment.model.id

    @property
    def feature_name(self) -> str:
        return self.feature.model.name

    @property
    def version(self) -> str:
        return self.assignment.model.version

    @property
    def namespace(self) -> str:
        return self.feature.model.release_namespace

    @property
    def digest(self) -> str | None:
        return None if self.chart is None else self.chart.digest

    @property
    def timeout_seconds(self) -> int:
        return 300 if self.chart is None else self.chart.feature_yaml.timeout_seconds

    @property
    def planned(self) -> bool:
        return self.status is ReleaseStatus.PLANNED

    @property
    def release_hash(self) -> str | None:
        """sha256 over canonical JSON of values, chart, version, digest and redeploy."""
        if not self.planned:
            return None
        if not self._hash:
            self._hash.append(
                release_hash(
                    self.values,
                    self.feature.model.chart,
                    self.version,
                    self.digest,
                    self.assignment.model.redeploy,
                )
            )
        return self._hash[0]

    @property
    def assignment_location(self) -> Location:
        return Location(self.assignment.file, self.assignment.position("version").line)

    def shown_values(self) -> dict[str, object]:
        """The helm values as people may see them: secret and tainted values masked."""
        if not self.secret_keys:
            return dict(self.values)
        masked = {
            key: MASK if key in self.secret_keys else value for key, value in self.flat.items()
        }
        shown = nest(masked)
        # What is not a declared value (the opt-in metadata block) holds no secret.
        for key in self.values.keys() - shown.keys():
            shown[key] = self.values[key]
        return shown

    def sources(self) -> list[ValueSource]:
        """Every value with its origin and location, by key."""
        return [self.source(key) for key in sorted(self.flat)]

    def source(self, key: str) -> ValueSource:
        """The value of `key` (one of `flat`'s) with its origin and location."""
        value = self.flat[key]
        secret = key in self.secret_keys
        config = self.config
        if config is not None and key in config.model.values:
            origin = ValueOrigin.ENVIRONMENT_CONFIG
            where = config.position("values", key)
            location = Location(config.file, where.line, where.column)
        elif key in self.feature.model.config:
            origin = ValueOrigin.FEATURE_CONFIG
            where = self.feature.position("config", key)
            location = Location(self.feature.file, where.line, where.column)
        else:
            origin = ValueOrigin.COMPUTED
            location = _template_location(self.chart, key)
        return ValueSource(key, value, origin, location, secret)


def _template_location(chart: ResolvedChart | None, key: str) -> Location:
    if chart is None:
        return Location("", None)
    position = chart.feature_yaml_document.locate(["values", key, "computed", "template"])
    return Location(chart.feature_yaml_file, position.line, position.column)


def release_hash(
    values: Mapping[str, object], chart: str, version: str, digest: str | None, redeploy: str
) -> str:
    """sha256 over canonical JSON (sorted keys, no spaces, UTF-8) of what makes a deploy."""
    document = {
        "chart": chart,
        "digest": digest,
        "redeploy": redeploy,
        "values": values,
        "version": version,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
