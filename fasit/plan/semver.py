"""Semantic versions and the constraints Helm and Sprig accept (`semver_compare` in templates).

The constraint language is Masterminds/semver's, which Helm's chart dependencies and Sprig's
`semverCompare` use: comparators joined by spaces or commas (all must hold) and `||` (any
group may), each one of `=`, `!=`, `>`, `<`, `>=`, `<=`, `~` (same minor), `^` (same major;
same minor below 1.0), a hyphen range `1.2 - 1.4.5`, and wildcards `x`, `X`, `*` or missing
parts (`1.2`, `1.2.x`). A version with a pre-release part satisfies a group only when one of
its comparators names a pre-release too, as in Masterminds v3. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering
from typing import Final

from fasit.errors import InvalidInput

__all__ = ["SemverError", "Version", "satisfies"]


class SemverError(InvalidInput, ValueError):
    """A version or a constraint that cannot be read."""


_VERSION: Final = re.compile(
    r"v?(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_PARTIAL: Final = re.compile(
    r"v?(?P<major>\d+|[xX*])(?:\.(?P<minor>\d+|[xX*]))?(?:\.(?P<patch>\d+|[xX*]))?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-.]+)?"
)
_COMPARATOR: Final = re.compile(r"(?P<op>!=|>=|=>|<=|=<|~>|[=<>~^])?\s*(?P<version>\S+)")
_HYPHEN: Final = re.compile(r"(?P<low>\S+)\s+-\s+(?P<high>\S+)")


@total_ordering
@dataclass(frozen=True, slots=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _VERSION.fullmatch(text.strip())
        if match is None:
            raise SemverError(f"{text!r} is not a semantic version (MAJOR.MINOR.PATCH)")
        return cls(
            int(match["major"]),
            int(match["minor"]),
            int(match["patch"]),
            _identifiers(match["pre"]),
        )

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        if self.core != other.core:
            return self.core < other.core
        if not self.pre or not other.pre:
            return bool(self.pre) and not other.pre  # a pre-release comes before its release
        return _pre_key(self.pre) < _pre_key(other.pre)

    @property
    def core(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)


def _identifiers(pre: str | None) -> tuple[int | str, ...]:
    if not pre:
        return ()
    return tuple(int(part) if part.isdigit() else part for part in pre.split("."))


def _pre_key(pre: tuple[int | str, ...]) -> tuple[tuple[int, int | str], ...]:
    # Numeric identifiers sort before alphanumeric ones, and numerically among themselves.
    return tuple((0, part) if isinstance(part, int) else (1, part) for part in pre)


@dataclass(frozen=True, slots=True)
class _Bound:
    op: str  # one of = != > < >= <=, or "outside" [version, until)
    version: Version
    until: Version | None = None

    def holds(self, version: Version) -> bool:
        match self.op:
            case "outside":
                return version < self.version or (self.until is not None and version >= self.until)
            case "=":
                return version == self.version
            case "!=":
                return version != self.version
            case ">":
                return version > self.version
            case "<":
                return version < self.version
            case ">=":
                return version >= self.version
            case _:
                return version <= self.version


def satisfies(version: str, constraint: str) -> bool:
    """Whether `version` meets `constraint`; SemverError naming what cannot be read."""
    parsed = Version.parse(version)
    groups = [group.strip() for group in constraint.split("||")]
    if not constraint.strip() or any(not group for group in groups):
        raise SemverError(f"{constraint!r} is not a version constraint")
    return any(_group_holds(_group(group), parsed) for group in groups)


def _group_holds(bounds: list[_Bound], version: Version) -> bool:
    if version.pre and not any(bound.version.pre for bound in bounds):
        return False
    return all(bound.holds(version) for bound in bounds)


def _group(text: str) -> list[_Bound]:
    bounds: list[_Bound] = []
    for hyphen in _HYPHEN.finditer(text):
        bounds += _expand(">=", hyphen["low"]) + _expand("<=", hyphen["high"])
    rest = _HYPHEN.sub(" ", text).replace(",", " ")
    # An operator may stand apart from its version (`>= 1.2`): join them first.
    rest = re.sub(r"(!=|>=|=>|<=|=<|~>|[=<>~^])\s+", r"\1", rest)
    for token in rest.split():
        match = _COMPARATOR.fullmatch(token)
        try:
            if match is None:
                raise SemverError(token)
            bounds += _expand(match["op"] or "=", match["version"])
        except SemverError:
            raise SemverError(f"{token!r} is not a version comparator") from None
    return bounds


def _expand(op: str, text: str) -> list[_Bound]:
    """One comparator as plain bounds over full versions."""
    match = _PARTIAL.fullmatch(text)
    if match is None:
        raise SemverError(f"{text!r} is not a version")
    parts = [match["major"], match["minor"], match["patch"]]
    known = 0
    for part in parts:
        if part is None or part in "xX*":
            break
        known += 1
    numbers = [int(part) for part in parts[:known]] + [0] * (3 - known)
    pre = _identifiers(match["pre"]) if known == 3 else ()
    low = Version(numbers[0], numbers[1], numbers[2], pre)
    op = {"=>": ">=", "=<": "<=", "~>": "~"}.get(op, op)
    if known == 0:
        return [] if op in ("=", ">=", "<=", "~", "^") else [_Bound("<", Version(0, 0, 0))]
    upper_same = _bump(numbers, known - 1)  # the first version past the wildcard's range
    match op:
        case "=" if known < 3:
            return [_Bound(">=", low), _Bound("<", upper_same)]
        case "!=" if known < 3:
            return [_Bound("outside", low, upper_same)]
        case ">" if known < 3:
            return [_Bound(">=", upper_same)]
        case "<=" if known < 3:
            return [_Bound("<", upper_same)]
        case "~":
            return [_Bound(">=", low), _Bound("<", _bump(numbers, min(known - 1, 1)))]
        case "^":
            return [_Bound(">=", low), _Bound("<", _caret_limit(numbers, known))]
    return [_Bound(op, low)]


def _bump(numbers: list[int], index: int) -> Version:
    bumped = numbers[:index] + [numbers[index] + 1] + [0] * (2 - index)
    return Version(bumped[0], bumped[1], bumped[2])


def _caret_limit(numbers: list[int], known: int) -> Version:
    """`^` allows changes that do not touch the left-most non-zero part (of those given)."""
    for index in range(known):
        if numbers[index] != 0 or index == known - 1:
            return _bump(numbers, index)
    return _bump(numbers, 0)
