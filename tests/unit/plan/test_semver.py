"""Version constraints as Helm and Sprig read them (Masterminds/semver), version by version."""

from __future__ import annotations

import pytest

from fasit.plan.semver import SemverError, Version, satisfies


@pytest.mark.parametrize(
    ("version", "constraint", "holds"),
    [
        ("1.2.3", "^1.2.0", True), ("2.0.0", "^1.2.0", False),
        ("0.2.5", "^0.2.3", True), ("0.3.0", "^0.2.3", False),
        ("0.0.3", "^0.0.3", True), ("0.0.4", "^0.0.3", False),
        ("0.9.0", "^0", True), ("1.0.0", "^0", False),
        ("1.2.9", "~1.2.3", True), ("1.3.0", "~1.2.3", False), ("1.9.0", "~1", True),
        ("1.4.0", ">=1.2, <1.5", True), ("1.5.0", ">=1.2 <1.5", False),
        ("1.5.0", "<1.2 || >=1.5", True), ("1.3.0", "<1.2 || >=1.5", False),
        ("1.3.0", "1.2 - 1.4.5", True), ("1.4.6", "1.2 - 1.4.5", False),
        ("1.2.7", "1.2.x", True), ("1.3.0", "1.2.x", False), ("5.0.0", "*", True),
        ("1.3.0", "!=1.2", True), ("1.2.5", "!=1.2", False), ("1.2.4", "!=1.2.5", True),
        ("1.3.0", ">1.2", True), ("1.2.9", ">1.2", False),
        ("1.2.9", "<=1.2", True), ("1.3.0", "<=1.2", False),
        ("v1.0.0", ">= 1.0", True), ("1.0.0+build.7", "=1.0.0", True),
    ],
)  # fmt: skip
def test_a_version_meets_a_constraint_as_masterminds_semver_says(
    version: str, constraint: str, holds: bool
) -> None:
    assert satisfies(version, constraint) is holds


@pytest.mark.parametrize(
    ("version", "constraint", "holds"),
    [
        ("1.2.0-beta.1", ">=1.0.0", False),
        ("1.2.0-beta.1", ">=1.2.0-alpha", True),
        ("1.2.0-beta.1", "<1.2.0", False),
        ("1.2.0-beta.2", ">1.2.0-beta.1 <1.2.0", True),
    ],
)
def test_a_pre_release_meets_only_a_constraint_that_names_one(
    version: str, constraint: str, holds: bool
) -> None:
    assert satisfies(version, constraint) is holds


def test_versions_order_by_semver_precedence() -> None:
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2",
               "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0"]  # fmt: skip

    assert sorted(ordered, key=Version.parse) == ordered


@pytest.mark.parametrize(
    ("version", "constraint", "message"),
    [
        ("1.2", "^1", "'1.2' is not a semantic version"),
        ("1.2.3", "", "'' is not a version constraint"),
        ("1.2.3", "1.x ||", "is not a version constraint"),
        ("1.2.3", ">>1", "'>>1' is not a version comparator"),
    ],
)
def test_what_cannot_be_read_is_named(version: str, constraint: str, message: str) -> None:
    with pytest.raises(SemverError, match=message.replace("|", r"\|")):
        satisfies(version, constraint)
