"""What resolving a chart asks for (`OciWanted`) and yields: the chart, or why it is unavailable,
and problems in its files. Free of the registry client, so a plan names oci:// charts without
importing it.

A resolved chart is immutable and identified by its digest; the same (feature, version) in two
revisions with the same files has the same digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fasit.charts.chart_schema import ChartSchema
from fasit.model import ChartYaml, FeatureYaml
from fasit.state import Problem, ProblemCode, YamlDocument

__all__ = ["ChartOutcome", "OciWanted", "ResolvedChart", "Unavailable"]


@dataclass(frozen=True, slots=True)
class OciWanted:
    """One assigned version of an oci:// feature."""

    feature: str
    chart: str
    version: str


@dataclass(frozen=True, slots=True)
class ResolvedChart:
    """One chart version: where it is, its digest, the two files fasit reads from it, and what
    checking values against it needs (`schema`: not part of its identity, the digest is)."""

    feature: str
    version: str
    location: str
    digest: str
    chart_yaml: ChartYaml
    feature_yaml: FeatureYaml
    feature_yaml_file: str
    feature_yaml_document: YamlDocument
    schema: ChartSchema | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Why a chart version could not be had; shown where the version is assigned."""

    code: ProblemCode
    message: str


@dataclass(frozen=True, slots=True)
class ChartOutcome:
    """The chart (None when unavailable, unchecked or invalid), and what is wrong with it.

    `problems` point into the chart's own files; `unavailable` says why there is nothing to
    point into (the caller places it at each assignment of the version).
    """

    chart: ResolvedChart | None
    problems: tuple[Problem, ...] = ()
    unavailable: Unavailable | None = None
