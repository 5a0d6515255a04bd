"""Dependencies within an environment: a release whose dependencies are not planned there is
`missing-dependency`.

Feature.yaml rules must all hold: `allOf` needs every feature listed, `anyOf` at least one.
A dependency counts when it has a release there that can be deployed at some point (planned,
or stopped by a render error, missing config or values the chart's schema refuses: a fix will
clear them); disabled, kind-mismatch and missing-dependency releases never deploy with this
revision, so they do not count.
Settling walks depth-first, so a chain (a → b → c, c disabled) marks a and b.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from fasit.model import Dependency
from fasit.plan.release import DesiredRelease, ReleaseStatus
from fasit.state import ProblemCode

__all__ = ["settle_dependencies"]

Pair = tuple[str, str]

_CAN_DEPLOY = frozenset(
    {
        ReleaseStatus.PLANNED,
        ReleaseStatus.RENDER_ERROR,
        ReleaseStatus.MISSING_CONFIG,
        ReleaseStatus.VALUES_INVALID,
    }
)
# Causes validate reports at the Feature.yaml already (a name no Feature defines, a cycle).
_REPORTED_ELSEWHERE = (ProblemCode.UNKNOWN_DEPENDENCY, ProblemCode.DEPENDENCY_CYCLE)


def settle_dependencies(
    releases: Mapping[Pair, DesiredRelease],
    features: set[str],
    previous: Mapping[Pair, DesiredRelease] | None = None,
    affected: set[Pair] | None = None,
) -> dict[Pair, DesiredRelease]:
    """`releases` with dependencies checked; `features`: every feature name defined.

    With the `previous` result and the pairs `affected` since (those whose release changed,
    and their dependents), only those are settled again.
    """
    if previous is None or affected is None:
        return _Settler(releases, features, {}).settle_all(releases)
    kept = dict(previous)
    for pair in affected:
        kept.pop(pair, None)
    return _Settler(releases, features, kept).settle_all(affected & releases.keys())


class _Settler:
    def __init__(
        self,
        releases: Mapping[Pair, DesiredRelease],
        features: set[str],
        settled: dict[Pair, DesiredRelease],
    ) -> None:
        self._releases = releases
        self._features = features
        self._settled = settled
        self._path: list[str] = []

    def settle_all(self, pairs: Iterable[Pair]) -> dict[Pair, DesiredRelease]:
        for pair in pairs:
            self._settle(pair)
        return self._settled

    def _settle(self, pair: Pair) -> DesiredRelease | None:
        if pair in self._settled:
            return self._settled[pair]
        release = self._releases.get(pair)
        if release is None:
            return None
        if pair[1] in self._path:  # a cycle: nothing on it can go first
            cycle = " → ".join([*self._path[self._path.index(pair[1]) :], pair[1]])
            return replace(
                release,
                status=ReleaseStatus.MISSING_DEPENDENCY,
                message=f"dependency cycle: {cycle}",
                code=ProblemCode.DEPENDENCY_CYCLE,
            )
        rules = release.chart.feature_yaml.dependencies if release.chart else []
        if release.status not in _CAN_DEPLOY or not rules:
            self._settled[pair] = release
            return release
        self._path.append(pair[1])
        met, unmet = self._check(pair[0], rules)
        self._path.pop()
        if unmet:
            codes = {code for _, code in unmet}
            code = codes.pop() if len(codes) == 1 else ProblemCode.MISSING_DEPENDENCY
            release = replace(
                release,
                status=ReleaseStatus.MISSING_DEPENDENCY,
                message="needs " + "; ".join(reason for reason, _ in unmet),
                code=code,
                flat={},
                values={},
                secret_keys=frozenset(),
                _hash=[],
            )
        elif met != release.depends_on:
            release = replace(release, depends_on=met, _hash=[])
        self._settled[pair] = release
        return release

    def _check(
        self, environment_id: str, rules: list[Dependency]
    ) -> tuple[tuple[str, ...], list[tuple[str, ProblemCode]]]:
        """The dependencies that count, and each unmet rule with its reason and cause."""
        met: list[str] = []
        unmet: list[tuple[str, ProblemCode]] = []
        for field, names in (part for rule in rules for part in rule.parts):
            found = {name: self._settle((environment_id, name)) for name in names}
            usable = [name for name, dependency in found.items() if _counts(dependency)]
            met.extend(usable)
            missing = [name for name in names if name not in usable]
            if field == "allOf":
                unmet.extend(self._why(name, found[name]) for name in missing)
            elif not usable:
                reasons = [self._why(name, found[name]) for name in missing]
                codes = {code for _, code in reasons}
                unmet.append(
                    (
                        "any of " + ", ".join(reason for reason, _ in reasons),
                        codes.pop() if len(codes) == 1 else ProblemCode.MISSING_DEPENDENCY,
                    )
                )
        return tuple(dict.fromkeys(met)), unmet

    def _why(self, name: str, dependency: DesiredRelease | None) -> tuple[str, ProblemCode]:
        if dependency is None:
            if name not in self._features:
                return f"{name} (no Feature defines it)", ProblemCode.UNKNOWN_DEPENDENCY
            return (
                f"{name} (no assignment reaches this environment)",
                ProblemCode.MISSING_DEPENDENCY,
            )
        if dependency.code in _REPORTED_ELSEWHERE:
            assert dependency.code is not None
            return f"{name} ({dependency.message})", dependency.code
        return f"{name} ({dependency.status.value})", ProblemCode.MISSING_DEPENDENCY


def _counts(dependency: DesiredRelease | None) -> bool:
    return dependency is not None and dependency.status in _CAN_DEPLOY
