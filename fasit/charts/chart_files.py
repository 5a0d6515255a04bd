"""Chart.yaml and Feature.yaml as every backend reads them: parsed, validated, version-checked.

(What values are checked against, values.yaml and values.schema.json, is chart_schema.py's.)

The in-repo backend reads the files from the state tree, the OCI backend from the chart archive;
both hand the bytes here, so a chart is judged the same wherever it lives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final, TypeVar

from pydantic import BaseModel

from fasit.charts.chart_schema import ChartSchema
from fasit.charts.resolved import ResolvedChart
from fasit.model import ChartYaml, FeatureYaml
from fasit.state import (
    LoadLimits,
    Problem,
    ProblemCode,
    YamlDocument,
    parse_yaml_bytes,
    validate_model,
)

__all__ = ["CHART_YAML", "FEATURE_YAML", "ChartFiles", "parse_chart_files"]

CHART_YAML: Final = "Chart.yaml"
FEATURE_YAML: Final = "Feature.yaml"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ChartFiles:
    """The two files fasit reads of a chart, parsed; `feature_yaml_file` names where it was."""

    chart_yaml: ChartYaml
    feature_yaml: FeatureYaml
    feature_yaml_file: str
    feature_yaml_document: YamlDocument
    schema: ChartSchema | None = None

    def resolved(self, feature: str, version: str, location: str, digest: str) -> ResolvedChart:
        return ResolvedChart(
            feature=feature,
            version=version,
            location=location,
            digest=digest,
            chart_yaml=self.chart_yaml,
            feature_yaml=self.feature_yaml,
            feature_yaml_file=self.feature_yaml_file,
            feature_yaml_document=self.feature_yaml_document,
            schema=self.schema,
        )


def parse_chart_files(
    chart_yaml: tuple[str, bytes],
    feature_yaml: tuple[str, bytes],
    version: str,
    limits: LoadLimits,
) -> tuple[ChartFiles | None, list[Problem]]:
    """Both files as (path shown in problems, content); None and the problems when not valid.

    Chart.yaml must carry `version`: the version the assignment asked for.
    """
    problems: list[Problem] = []
    chart = _parse(*chart_yaml, ChartYaml, ProblemCode.CHART_YAML_INVALID, limits, problems)
    feature = _parse(*feature_yaml, FeatureYaml, ProblemCode.FEATURE_YAML_INVALID, limits, problems)
    if chart is not None and chart[0].version != version:
        problems.append(
            Problem.at(
                chart_yaml[0],
                chart[1].locate(["version"]),
                ProblemCode.CHART_VERSION_MISMATCH,
                f"Chart.yaml says version {chart[0].version!r} but {version!r} was asked for",
            )
        )
    if problems or chart is None or feature is None:
        return None, problems
    return ChartFiles(chart[0], feature[0], feature_yaml[0], feature[1]), []


def _parse(
    path: str,
    content: bytes,
    model: type[M],
    code: ProblemCode,
    limits: LoadLimits,
    problems: list[Problem],
) -> tuple[M, YamlDocument] | None:
    """One chart file as `model`; its problems recoded as `code` (all are the chart's)."""
    if len(content) > limits.max_file_bytes:
        problems.append(
            Problem(path, None, None, code, f"larger than {limits.max_file_bytes:,} bytes")
        )
        return None
    parsed = parse_yaml_bytes(path, content, limits)
    if parsed.problems:
        problems.extend(replace(problem, code=code) for problem in parsed.problems)
        return None
    if len(parsed.documents) != 1:
        found = len(parsed.documents)
        problems.append(Problem(path, 1, 1, code, f"expected one YAML document, found {found}"))
        return None
    document = parsed.documents[0]
    value, model_problems = validate_model(model, document, path)
    problems.extend(replace(problem, code=code) for problem in model_problems)
    return None if value is None else (value, document)
