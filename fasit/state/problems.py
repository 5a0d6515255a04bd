"""Problems: what is wrong with a state repository, where, and how bad.

Every stage that judges state (loader, cross-checks, later the planner) reports `Problem`s;
`fasit validate` and the snapshot builder show the same list. Codes are stable: tools and
people match on them, so a code is never renamed, only added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Position", "Problem", "ProblemCode", "Severity", "some"]


class Severity(StrEnum):
    """How bad a problem is: errors fail validate, warnings fail it only with --strict."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


class ProblemCode(StrEnum):
    """Stable codes, one per kind of problem."""

    # Reading files (the tree)
    SYMLINK = "symlink"
    """A symbolic link in the state tree: state is plain files and links are never followed."""
    FILE_TOO_LARGE = "file-too-large"
    """A state file is larger than the per-file limit (1 MiB)."""
    TOO_MANY_FILES = "too-many-files"
    """The state tree holds more files than the configured limit."""
    BINARY_FILE = "binary-file"
    """A state file holds a NUL byte or is not valid UTF-8."""
    UNREADABLE_FILE = "unreadable-file"
    """The file could not be read (permissions, vanished while reading)."""
    EMPTY_FILE = "empty-file"
    """A discovered file holds no documents (notice)."""
    # The index file
    INDEX_INVALID = "index-invalid"
    """`.fasit.yaml` is malformed: bad YAML, unknown fields or a bad glob."""
    # YAML
    YAML_SYNTAX = "yaml-syntax"
    """The text is not valid YAML."""
    YAML_DUPLICATE_KEY = "yaml-duplicate-key"
    """A mapping names the same key twice (YAML parsers would silently keep the last)."""
    YAML_ALIAS_LIMIT = "yaml-alias-limit"
    """Too many aliases, aliases that expand too far (a YAML bomb), or a recursive alias."""
    YAML_TOO_DEEP = "yaml-too-deep"
    """Collections nested deeper than the limit (64 levels)."""
    YAML_UNSUPPORTED_TAG = "yaml-unsupported-tag"
    """An explicit tag (`!foo`, `!!set`, `!!binary`) that state documents do not use."""
    # Documents
    NOT_A_MAPPING = "not-a-mapping"
    """A document is a list or a scalar, not a mapping with apiVersion and kind."""
    API_VERSION = "api-version"
    """apiVersion is missing or is not fasit/v1."""
    UNKNOWN_KIND = "unknown-kind"
    """kind is missing or is not Environment, Feature, Assignment, Config or Rollout."""
    UNKNOWN_FIELD = "unknown-field"
    """A field the kind does not have (often a typo)."""
    MISSING_FIELD = "missing-field"
    """A required field is absent."""
    WRONG_TYPE = "wrong-type"
    """A value has the wrong type (for example a number where a string belongs)."""
    INVALID_VALUE = "invalid-value"
    """A value has the right type but is not allowed (pattern, enum, range, rule)."""
    # Cross-file checks: more than one document is involved
    DUPLICATE = "duplicate"
    """The same identity is defined twice; reported at both places."""
    UNKNOWN_FEATURE = "unknown-feature"
    """An assignment or config names a feature that has no Feature document."""
    UNKNOWN_ENVIRONMENT = "unknown-environment"
    """A config names an environment that has no Environment document."""
    UNKNOWN_ROLLOUT = "unknown-rollout"
    """A Feature names a rollout that has no Rollout document."""
    WAVE_OVERLAP = "wave-overlap"
    """Two waves of one Rollout select the same environment; reported at both waves."""
    EMPTY_WAVE = "empty-wave"
    """A wave of a Rollout selects no environment (warning)."""
    SECOND_MANAGEMENT = "second-management"
    """A tenant has more than one management environment."""
    RESERVED_VALUE_KEY = "reserved-value-key"
    """An environment value is named `name` or `kind`, which templates reserve."""
    UNMATCHED_TARGET_LABEL = "unmatched-target-label"
    """A target label (key, or key with value) that no environment has (warning)."""
    AMBIGUOUS_ASSIGNMENT = "ambiguous-assignment"
    """Two equally specific assignments of equal priority disagree for some environments."""
    # Charts and Feature.yaml
    CHART_MISSING = "chart-missing"
    """No chart for an assigned version: no in-repo directory, or no such tag in the registry."""
    CHART_INCOMPLETE = "chart-incomplete"
    """A chart lacks Chart.yaml or Feature.yaml, or a file of it cannot be read."""
    CHART_VERSION_MISMATCH = "chart-version-mismatch"
    """Chart.yaml's version differs from the version assigned (its directory or tag)."""
    CHART_YAML_INVALID = "chart-yaml-invalid"
    """Chart.yaml is not valid YAML or lacks what fasit reads (name, version)."""
    FEATURE_YAML_INVALID = "feature-yaml-invalid"
    """Feature.yaml is not valid YAML or not a valid Feature.yaml."""
    CHART_VALUES_INVALID = "chart-values-invalid"
    """A chart's (or subchart's) values.yaml is not a YAML mapping."""
    CHART_SCHEMA_INVALID = "chart-schema-invalid"
    """A chart's (or subchart's) values.schema.json is not JSON or not a valid JSON Schema."""
    CHART_NOT_CHECKED = "chart-not-checked"
    """An oci:// chart was not fetched (--offline), so its Feature.yaml was not checked."""
    CHART_NOT_HELM = "chart-not-helm"
    """What an oci:// tag points at is not a Helm chart (media types, layers, archive)."""
    CHART_DIGEST_MISMATCH = "chart-digest-mismatch"
    """A registry sent content that does not hash to the digest it was asked for."""
    REGISTRY_UNAVAILABLE = "registry-unavailable"
    """A registry cannot be reached, timed out, or answered with a server error."""
    REGISTRY_UNAUTHORIZED = "registry-unauthorized"
    """A registry refused the credentials fasit has for it (or asked for some it has not)."""
    UNKNOWN_DEPENDENCY = "unknown-dependency"
    """A Feature.yaml dependency names a feature that has no Feature document."""
    DEPENDENCY_CYCLE = "dependency-cycle"
    """Features depend on each other in a cycle."""
    KIND_MISMATCH = "kind-mismatch"
    """An environment gets a feature whose Feature.yaml does not list its kind (warning)."""
    # Config against Feature.yaml
    CONFIG_UNDECLARED = "config-undeclared"
    """A config key that the Feature.yaml of the version does not declare as config."""
    CONFIG_WRONG_TYPE = "config-wrong-type"
    """A config value whose type differs from its Feature.yaml declaration."""
    CONFIG_SECRET_INLINE = "config-secret-inline"
    """An inline value for a key that Feature.yaml declares `secret: true`."""
    CONFIG_UNUSED = "config-unused"
    """A Config for an (environment, feature) pair that no assignment reaches (warning)."""
    PROTECTED_UNASSIGNED = "protected-unassigned"
    """A `protected: true` Feature that no assignment reaches anywhere (warning)."""
    # Rendering each (environment, feature): per-release problems
    RENDER_ERROR = "render-error"
    """A computed value's template fails for some environments (syntax, missing key, output)."""
    VALUE_KEY_CONFLICT = "value-key-conflict"
    """A value key is also the dotted prefix of another (`a` and `a.b`), so they cannot nest."""
    MISSING_CONFIG = "missing-config"
    """A required value has no value for some environments (no config, nothing computed)."""
    VALUES_INVALID = "values-invalid"
    """The values of some environments break the chart's values.schema.json (or a subchart's)."""
    MISSING_DEPENDENCY = "missing-dependency"
    """A feature's dependency is not planned in some environments it goes to."""


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A place in a file: 1-based line and column."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem, located: `file` is relative to the state root; line/column are 1-based.

    `line` and `column` are None for problems about a whole file (a symlink, a size limit), and
    `file` is "" for problems about the whole tree (too many files).
    """

    file: str
    line: int | None
    column: int | None
    code: ProblemCode
    message: str
    severity: Severity = Severity.ERROR

    @classmethod
    def at(
        cls,
        file: str,
        position: Position | None,
        code: ProblemCode,
        message: str,
        severity: Severity = Severity.ERROR,
    ) -> Problem:
        """A problem at `position` in `file` (None: the whole file)."""
        if position is None:
            return cls(file, None, None, code, message, severity)
        return cls(file, position.line, position.column, code, message, severity)

    @property
    def where(self) -> str:
        """`file:line:column`, or the file alone for a problem about a whole file."""
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        """File, then line, then column: the order people read problems in."""
        return (self.file, self.line or 0, self.column or 0, self.code)


def some(items: Sequence[str], shown: int = 5) -> str:
    """The first `shown` items and how many more, for messages about many things.

    >>> some(["a", "b", "c"], shown=2)
    'a, b and 1 more'
    """
    text = ", ".join(items[:shown])
    return text + (f" and {len(items) - shown} more" if len(items) > shown else "")
