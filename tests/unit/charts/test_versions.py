"""The existing versions a chart-missing problem names: the nearest to the one asked."""

from __future__ import annotations

import pytest

from fasit.charts.versions import existing_note, nearest_versions


@pytest.mark.parametrize(
    ("asked", "existing", "expected"),
    [
        ("1.4.0", ["0.9.0", "1.3.2", "1.4.1", "1.5.0", "2.0.0"], ["1.3.2", "1.4.1", "1.5.0"]),
        ("1.4.0", ["1.4.1", "1.4.9", "1.4.2", "1.3.0"], ["1.4.1", "1.4.2", "1.4.9"]),
        ("1.4.0", ["1.5.0", "2.4.0", "1.9.0", "0.4.0"], ["0.4.0", "1.5.0", "1.9.0"]),
        ("1.4.0", ["3.0.0", "2.0.0", "0.1.0", "9.0.0"], ["0.1.0", "2.0.0", "3.0.0"]),
        ("1.4.0", ["latest", "1.0.0", "edge"], ["1.0.0", "edge", "latest"]),
        ("1.4.0", ["zeta", "alpha", "mid", "omega"], ["alpha", "mid", "omega"]),
        ("1.4.0", [], []),
        ("1.5.0", ["1.0.0", "2.0.0"], ["1.0.0", "2.0.0"]),
        ("nightly", ["2.0.0", "1.0.0", "beta"], ["1.0.0", "2.0.0", "beta"]),
        ("1.4.0", ["1.4.0-rc.1", "1.4.1", "1.4.0_b.2"], ["1.4.0_b.2", "1.4.0-rc.1", "1.4.1"]),
    ],
)
def test_nearest_versions_same_minor_first_then_nearest_then_non_semver(
    asked: str, existing: list[str], expected: list[str]
) -> None:
    assert nearest_versions(asked, existing) == expected


def test_the_note_names_the_nearest_versions() -> None:
    note = existing_note("1.4.0", ["1.3.2", "1.4.1", "1.5.0"], "registry")
    assert note == " (the registry has 1.3.2, 1.4.1, 1.5.0)"


def test_the_note_says_when_there_are_no_versions() -> None:
    assert existing_note("1.4.0", [], "repository") == " (the repository has no versions)"
