"""The in-repo backend of the chart resolver: `charts/<feature>/<version>/` in the state tree.

A version directory holds Chart.yaml (whose `version` is the directory name), Feature.yaml,
values.yaml and templates/. The digest is sha256 over the sorted list of (path, sha256 of
content) of every file in the directory, so any change to any file changes it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import TypeVar

from pydantic import BaseModel

from fasit.charts.resolved import ChartOutcome, ResolvedChart, Unavailable
from fasit.model import ChartYaml, FeatureYaml
from fasit.state import (
    EntryKind,
    FileTooLarge,
    LoadLimits,
    Problem,
    ProblemCode,
    Tree,
    TreeEntry,
    YamlDocument,
    read_yaml_file,
    validate_model,
)

__all__ = ["InRepoCharts"]

M = TypeVar("M", bound=BaseModel)

CHART_YAML = "Chart.yaml"
FEATURE_YAML = "Feature.yaml"


class InRepoCharts:
    """Resolves in-repo chart versions from a tree, each at most once."""

    def __init__(self, tree: Tree, entries: Iterable[TreeEntry], limits: LoadLimits) -> None:
        self._tree = tree
        self._limits = limits
        # Every directory (at any depth) → the files below it.
        self._files: dict[str, list[TreeEntry]] = defaultdict(list)
        for entry in entries:
            if entry.kind is not EntryKind.FILE:
                continue
            parts = entry.path.split("/")
            for depth in range(1, len(parts)):
                self._files["/".join(parts[:depth])].append(entry)
        self._cache: dict[tuple[str, str], ChartOutcome] = {}

    def resolve(self, chart: str, feature: str, version: str) -> ChartOutcome:
        """The chart of `feature` at `version`, found at `chart`/`version` in the tree."""
        key = (chart, version)
        if key not in self._cache:
            self._cache[key] = self._resolve(chart, feature, version)
        return self._cache[key]

    def _resolve(self, chart: str, feature: str, version: str) -> ChartOutcome:
        directory = f"{chart}/{version}"
        if directory not in self._files:
            return _unavailable(
                ProblemCode.CHART_MISSING,
                f"no chart directory {directory}/ for {feature} {version}",
            )
        files = sorted(self._files[directory], key=lambda entry: entry.path)
        names = {entry.path.removeprefix(directory + "/"): entry for entry in files}
        lacking = [name for name in (CHART_YAML, FEATURE_YAML) if name not in names]
        if lacking:
            return _unavailable(
                ProblemCode.CHART_INCOMPLETE,
                f"chart directory {directory}/ lacks {' and '.join(lacking)}",
            )
        problems: list[Problem] = []
        chart_yaml = self._parse(
            names[CHART_YAML], ChartYaml, ProblemCode.CHART_YAML_INVALID, problems
        )
        feature_entry = names[FEATURE_YAML]
        feature_yaml = self._parse(
            feature_entry, FeatureYaml, ProblemCode.FEATURE_YAML_INVALID, problems
        )
        if chart_yaml is not None and chart_yaml[0].version != version:
            problems.append(
                Problem.at(
                    names[CHART_YAML].path,
                    chart_yaml[1].locate(["version"]),
                    ProblemCode.CHART_VERSION_MISMATCH,
                    f"Chart.yaml says version {chart_yaml[0].version!r}"
                    f" but its directory is {version!r}",
                )
            )
        if problems or chart_yaml is None or feature_yaml is None:
            return ChartOutcome(None, tuple(problems))
        digest = self._digest(directory, files, problems)
        if digest is None:
            return ChartOutcome(None, tuple(problems))
        return ChartOutcome(
            ResolvedChart(
                feature=feature,
                version=version,
                location=directory,
                digest=digest,
                chart_yaml=chart_yaml[0],
                feature_yaml=feature_yaml[0],
                feature_yaml_file=feature_entry.path,
                feature_yaml_document=feature_yaml[1],
            )
        )

    def _parse(
        self, entry: TreeEntry, model: type[M], code: ProblemCode, problems: list[Problem]
    ) -> tuple[M, YamlDocument] | None:
        """One chart file as `model`; its problems recoded as `code` (all are the chart's)."""
        parsed = read_yaml_file(self._tree, entry, self._limits)
        if parsed.problems:
            problems.extend(replace(problem, code=code) for problem in parsed.problems)
            return None
        if len(parsed.documents) != 1:
            found = len(parsed.documents)
            problems.append(
                Problem(entry.path, 1, 1, code, f"expected one YAML document, found {found}")
            )
            return None
        document = parsed.documents[0]
        value, model_problems = validate_model(model, document, entry.path)
        problems.extend(replace(problem, code=code) for problem in model_problems)
        return None if value is None else (value, document)

    def _digest(
        self, directory: str, files: list[TreeEntry], problems: list[Problem]
    ) -> str | None:
        listing = hashlib.sha256()
        for entry in files:
            try:
                content = self._tree.read(entry.path, self._limits.max_file_bytes)
            except (FileTooLarge, OSError) as exc:
                problems.append(
                    Problem(
                        entry.path,
                        None,
                        None,
                        ProblemCode.CHART_INCOMPLETE,
                        f"cannot read chart file: {exc}",
                    )
                )
                return None
            relative = entry.path.removeprefix(directory + "/")
            listing.update(f"{relative}\0{hashlib.sha256(content).hexdigest()}\n".encode())
        return f"sha256:{listing.hexdigest()}"


def _unavailable(code: ProblemCode, message: str) -> ChartOutcome:
    return ChartOutcome(None, (), Unavailable(code, message))
