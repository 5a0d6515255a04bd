"""Reading an OCI manifest a registry sent: a Helm chart's, or a clear reason it is not."""

from __future__ import annotations

import pytest

from fasit.charts.manifest import NotAChart, chart_layer
from fasit.model import parse_oci_chart
from fasit.state import ProblemCode

CHART = parse_oci_chart("oci://registry.test/charts/app")


def test_a_manifest_nested_too_deeply_to_parse_is_not_a_chart_naming_the_tag() -> None:
    with pytest.raises(NotAChart) as raised:
        chart_layer(CHART, "1.0.0", b"[" * 100_000)

    assert raised.value.unavailable.code is ProblemCode.CHART_NOT_HELM
    assert raised.value.unavailable.message == (
        "oci://registry.test/charts/app:1.0.0: the manifest is not JSON: nested too deeply"
    )
