"""Checks that need each assigned version's Feature.yaml: charts, dependencies, kinds, config.

Charts are resolved once per assigned (feature, version). Config is checked against the
Feature.yaml of the version each environment gets; a Config that no assignment reaches, and a
Feature's global `config`, against every assigned version.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from fasit.charts import ChartOutcome, InRepoCharts, OciWanted, ResolvedChart
from fasit.model import Assignment, Config, Feature
from fasit.plan.config_values import check_config_value
from fasit.state import (
    Located,
    Position,
    Problem,
    ProblemCode,
    Severity,
    StateIndex,
    Targeting,
    some,
)

__all__ = ["ChartSet", "check_features", "oci_charts_wanted", "resolve_charts"]

ChartKey = tuple[str, str]


@dataclass(frozen=True)
class ChartSet:
    """The outcome of every assigned (feature, version); oci:// ones are absent when offline."""

    outcomes: dict[ChartKey, ChartOutcome]

    @cached_property
    def identities(self) -> dict[ChartKey, str]:
        """What each (feature, version)'s chart is: its digest, or why there is none."""
        return {
            key: outcome.chart.digest
            if outcome.chart is not None
            else "unavailable: " + self.unavailable_reason(*key)
            for key, outcome in self.outcomes.items()
        }

    @cached_property
    def fingerprint(self) -> str:
        """One string that changes whenever any chart's identity does."""
        listing = "\n".join(f"{f}\0{v}\0{i}" for (f, v), i in sorted(self.identities.items()))
        return hashlib.sha256(listing.encode()).hexdigest()

    def chart(self, feature: str, version: str) -> ResolvedChart | None:
        """The resolved chart, or None when unavailable, invalid or not fetched."""
        outcome = self.outcomes.get((feature, version))
        return None if outcome is None else outcome.chart

    def unavailable_reason(self, feature: str, version: str) -> str:
        """Why `chart` gives None for this version, in a sentence."""
        outcome = self.outcomes.get((feature, version))
        if outcome is None:
            return f"{feature} {version}: its oci:// chart was not fetched (offline)"
        if outcome.unavailable is not None:
            return outcome.unavailable.message
        problems = outcome.problems
        first = (
            f": {problems[0].file}:{problems[0].line}: {problems[0].message}" if problems else ""
        )
        return f"the chart of {feature} {version} is invalid{first}"

    def versions(self, feature: str) -> list[ResolvedChart]:
        """Every resolved chart of `feature`'s assigned versions, by version."""
        return [
            outcome.chart
            for (name, _), outcome in sorted(self.outcomes.items())
            if name == feature and outcome.chart is not None
        ]


def oci_charts_wanted(index: StateIndex) -> list[OciWanted]:
    """Every assigned version of an oci:// feature, once each."""
    wanted: dict[ChartKey, OciWanted] = {}
    for assignment in index.assignments:
        feature = index.features[assignment.model.feature].model
        if feature.is_oci:
            key = (feature.name, assignment.model.version)
            wanted.setdefault(key, OciWanted(feature.name, feature.chart, key[1]))
    return list(wanted.values())


def resolve_charts(
    index: StateIndex,
    in_repo: InRepoCharts,
    oci: Mapping[ChartKey, ChartOutcome] | None,
) -> tuple[ChartSet, list[Problem]]:
    """Every assigned version's outcome; what is wrong placed where it can be fixed.

    `oci` holds the outcomes of `oci_charts_wanted(index)`, or is None offline: then each
    oci:// feature gets a notice that its versions were not checked.
    """
    outcomes: dict[ChartKey, ChartOutcome] = {}
    problems: list[Problem] = []
    unchecked: set[str] = set()
    for assignment in index.assignments:
        feature = index.features[assignment.model.feature]
        key = (feature.model.name, assignment.model.version)
        first_time = key not in outcomes
        if not feature.model.is_oci:
            outcome = in_repo.resolve(feature.model.chart, *key)
        elif oci is not None and key in oci:
            outcome = oci[key]
        else:
            if key[0] not in unchecked:
                unchecked.add(key[0])
                problems.append(_not_checked(feature))
            continue
        outcomes[key] = outcome
        if outcome.unavailable is not None:
            problems.append(
                Problem.at(
                    assignment.file,
                    assignment.position("version"),
                    outcome.unavailable.code,
                    outcome.unavailable.message,
                )
            )
        elif first_time:
            problems.extend(outcome.problems)
    return ChartSet(outcomes), problems


def _not_checked(feature: Located[Feature]) -> Problem:
    return Problem.at(
        feature.file,
        feature.position("chart"),
        ProblemCode.CHART_NOT_CHECKED,
        f"{feature.model.chart} is not fetched offline, so the Feature.yaml of its assigned"
        " versions was not checked",
        Severity.NOTICE,
    )


def check_features(index: StateIndex, targeting: Targeting, charts: ChartSet) -> list[Problem]:
    """Dependencies, environment kinds and config values against Feature.yaml."""
    return [
        *_dependencies(index, charts),
        *_kind_mismatches(index, targeting, charts),
        *_configs(index, targeting, charts),
        *_global_configs(index, charts),
    ]


def _dependencies(index: StateIndex, charts: ChartSet) -> list[Problem]:
    problems: list[Problem] = []
    edges: dict[str, dict[str, tuple[ResolvedChart, Position]]] = defaultdict(dict)
    for chart in _resolved(charts):
        for rule_number, rule in enumerate(chart.feature_yaml.dependencies):
            named = [
                (field, name_number, name)
                for field, names in rule.parts
                for name_number, name in enumerate(names)
            ]
            for field, name_number, name in named:
                position = chart.feature_yaml_document.locate(
                    ["dependencies", rule_number, field, name_number]
                )
                if name not in index.features:
                    problems.append(
                        Problem.at(
                            chart.feature_yaml_file,
                            position,
                            ProblemCode.UNKNOWN_DEPENDENCY,
                            f"{chart.feature} {chart.version} depends on {name!r},"
                            " which no Feature document defines",
                        )
                    )
                else:
                    edges[chart.feature].setdefault(name, (chart, position))
    for cycle in _cycles(edges):
        chart, position = edges[cycle[-2]][cycle[-1]]
        problems.append(
            Problem.at(
                chart.feature_yaml_file,
                position,
                ProblemCode.DEPENDENCY_CYCLE,
                f"dependency cycle: {' → '.join(cycle)}",
            )
        )
    return problems


def _cycles(edges: Mapping[str, Mapping[str, object]]) -> list[list[str]]:
    """One cycle per strongly connected loop, as [a, b, …, a], found by depth-first search."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for successor in sorted(edges.get(node, {})):
            if state.get(successor) == 1:
                cycles.append([*path[path.index(successor) :], successor])
            elif successor not in state:
                visit(successor)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return cycles


def _kind_mismatches(index: StateIndex, targeting: Targeting, charts: ChartSet) -> list[Problem]:
    mismatched: dict[str, tuple[Located[Assignment], ResolvedChart, list[str]]] = {}
    for (environment_id, feature), assignment in targeting.winners.items():
        if not assignment.model.enabled:
            continue
        chart = charts.chart(feature, assignment.model.version)
        kind = index.environments[environment_id].model.environment_kind
        if chart is not None and kind not in chart.feature_yaml.environment_kinds:
            entry = mismatched.setdefault(assignment.key, (assignment, chart, []))
            entry[2].append(environment_id)
    problems = []
    for assignment, chart, environments in mismatched.values():
        kinds = ", ".join(chart.feature_yaml.environment_kinds)
        problems.append(
            Problem.at(
                assignment.file,
                assignment.position("target"),
                ProblemCode.KIND_MISMATCH,
                f"{chart.feature} {chart.version} runs on environment kinds {kinds}"
                f" (its Feature.yaml), so it is not planned to {some(sorted(environments))}",
                Severity.WARNING,
            )
        )
    return problems


def _configs(index: StateIndex, targeting: Targeting, charts: ChartSet) -> list[Problem]:
    problems = []
    for (environment_id, feature), config in index.configs.items():
        winner = targeting.winners.get((environment_id, feature))
        if winner is None:  # unused (the snapshot warns); still checked against every version
            versions = charts.versions(feature)
        else:
            chart = charts.chart(feature, winner.model.version)
            versions = [chart] if chart is not None else []
        problems.extend(_values(config, config.model.values, versions))
    return problems


def _global_configs(index: StateIndex, charts: ChartSet) -> list[Problem]:
    problems = []
    for name, feature in index.features.items():
        problems.extend(_values(feature, feature.model.config, charts.versions(name)))
    return problems


def _values(
    owner: Located[Config] | Located[Feature],
    values: Mapping[str, object],
    versions: Sequence[ResolvedChart],
) -> list[Problem]:
    """Each key checked against each version; one problem per key and issue, naming versions."""
    found: dict[tuple[str, ProblemCode, str], list[str]] = defaultdict(list)
    for chart in versions:
        declared = chart.feature_yaml.values
        for key, value in values.items():
            issue = check_config_value(key, value, declared.get(key))
            if issue is not None:
                found[(key, issue.code, issue.message)].append(chart.version)
    field = "values" if isinstance(owner.model, Config) else "config"
    feature = owner.model.feature if isinstance(owner.model, Config) else owner.model.name
    problems = []
    for (key, code, message), in_versions in found.items():
        declared_keys = _config_keys([c for c in versions if c.version in in_versions])
        hint = f" (config keys: {declared_keys})" if code is ProblemCode.CONFIG_UNDECLARED else ""
        problems.append(
            Problem.at(
                owner.file,
                owner.position(field, key, at_key=code is ProblemCode.CONFIG_UNDECLARED),
                code,
                f"Feature.yaml of {feature} {', '.join(in_versions)}: {message}{hint}",
            )
        )
    return problems


def _config_keys(charts: Sequence[ResolvedChart]) -> str:
    keys = sorted(
        {
            key
            for chart in charts
            for key, spec in chart.feature_yaml.values.items()
            if spec.config is not None
        }
    )
    return ", ".join(keys) if keys else "none"


def _resolved(charts: ChartSet) -> list[ResolvedChart]:
    return [outcome.chart for _, outcome in sorted(charts.outcomes.items()) if outcome.chart]
