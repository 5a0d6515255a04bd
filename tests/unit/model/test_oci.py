"""oci:// chart references: the grammar a Feature's `chart` must follow, and Helm's tag rule."""

from __future__ import annotations

import pytest

from fasit.model import OciChart, parse_oci_chart


def test_a_reference_splits_into_registry_repository_and_name() -> None:
    chart = parse_oci_chart("oci://registry.example.net:5000/team/features/aivenator")

    assert chart == OciChart("registry.example.net:5000", "team/features/aivenator")
    assert chart.name == "aivenator"
    assert chart.pinned("sha256:" + "a" * 64).endswith("/aivenator@sha256:" + "a" * 64)


def test_a_version_with_build_metadata_is_tagged_as_helm_pushes_it() -> None:
    assert parse_oci_chart("oci://r.io/x").tag("1.0.0+build.7") == "1.0.0_build.7"


@pytest.mark.parametrize(
    ("chart", "says"),
    [
        ("oci://", "is not a registry host"),
        ("oci://r.io", "names no repository"),
        ("oci://r.io/Upper/name", "component 'Upper' must be lowercase"),
        ("oci://r.io/name:1.0.0", "give the version in the Assignment"),
        ("oci://r.io/name@sha256:abc", "give the version in the Assignment"),
        ("oci://bad_host!/name", "is not a registry host"),
    ],
)
def test_a_malformed_reference_says_what_is_wrong(chart: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_oci_chart(chart)


def test_a_version_that_cannot_be_a_tag_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be an OCI tag"):
        parse_oci_chart("oci://r.io/x").tag("1.0.0 beta")
