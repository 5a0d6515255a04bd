"""Problems: what is wrong with a state repository, where, and how bad.

Every stage that judges state (loader, cross-checks, later the planner) reports `Problem`s;
`fasit validate` and the snapshot builder show the same list. Codes are stable: tools and
people match on them, so a code is never renamed, only added.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Position", "Problem", "ProblemCode", "Severity"]


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
    """kind is missing or is not Environment, Feature, Assignment or Config."""
    UNKNOWN_FIELD = "unknown-field"
    """A field the kind does not have (often a typo)."""
    MISSING_FIELD = "missing-field"
    """A required field is absent."""
    WRONG_TYPE = "wrong-type"
    """A value has the wrong type (for example a number where a string belongs)."""
    INVALID_VALUE = "invalid-value"
    """A value has the right type but is not allowed (pattern, enum, range, rule)."""


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
    def sort_key(self) -> tuple[str, int, int, str]:
        """File, then line, then column: the order people read problems in."""
        return (self.file, self.line or 0, self.column or 0, self.code)
