"""An OCI manifest read as a Helm chart's: its media types checked, its chart layer found.

Everything in a manifest is the registry's word: digests are checked before they name a blob
in a URL or a cache file.
"""

from __future__ import annotations

import json
from typing import Final

from fasit.charts.digest import DigestError, checked_digest
from fasit.charts.resolved import Unavailable
from fasit.errors import InvalidInput
from fasit.model import OciChart
from fasit.state import ProblemCode

__all__ = ["HELM_CHART_LAYER", "HELM_CONFIG", "NotAChart", "chart_layer"]

HELM_CONFIG: Final = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART_LAYER: Final = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
# Charts pushed by Helm before 3.8 carry this layer type; Helm still pulls them.
_LEGACY_CHART_LAYER: Final = "application/tar+gzip"


class NotAChart(InvalidInput):
    """The artifact behind a tag is not a usable Helm chart; `unavailable` says why."""

    def __init__(self, unavailable: Unavailable) -> None:
        super().__init__(unavailable.message)
        self.unavailable = unavailable


def chart_layer(chart: OciChart, version: str, manifest: bytes) -> str:
    """The digest of the chart layer, after checking the manifest is a Helm chart's."""
    where = f"{chart.url}:{chart.tag(version)}"
    try:
        parsed = json.loads(manifest)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        # RecursionError: Python's parser recurses per level, and the registry chose the depth.
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise NotAChart(
            Unavailable(ProblemCode.CHART_NOT_HELM, f"{where}: the manifest is not JSON: {why}")
        ) from None
    config = parsed.get("config") if isinstance(parsed, dict) else None
    config_type = config.get("mediaType") if isinstance(config, dict) else None
    if config_type != HELM_CONFIG:
        found = (
            parsed.get("mediaType")
            if config_type is None and isinstance(parsed, dict)
            else config_type
        )
        raise NotAChart(
            Unavailable(
                ProblemCode.CHART_NOT_HELM,
                f"{where} is not a Helm chart: its config media type is {found!r},"
                f" not {HELM_CONFIG!r}",
            )
        )
    layers = [
        layer
        for layer in parsed.get("layers", [])
        if isinstance(layer, dict)
        and layer.get("mediaType") in (HELM_CHART_LAYER, _LEGACY_CHART_LAYER)
    ]
    if len(layers) != 1:
        raise NotAChart(
            Unavailable(
                ProblemCode.CHART_NOT_HELM,
                f"{where}: a Helm chart has one layer of type {HELM_CHART_LAYER!r};"
                f" this manifest has {len(layers)}",
            )
        )
    _descriptor_digest(where, "config", config)
    return _descriptor_digest(where, "chart layer", layers[0])


def _descriptor_digest(where: str, name: str, descriptor: object) -> str:
    """A descriptor's digest, checked: it names a blob in URLs and cache files."""
    try:
        return checked_digest(descriptor.get("digest") if isinstance(descriptor, dict) else None)
    except DigestError as exc:
        raise NotAChart(
            Unavailable(ProblemCode.CHART_NOT_HELM, f"{where}: the {name}'s digest {exc}")
        ) from None
