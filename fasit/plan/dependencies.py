"""Dependencies within an environment: a release whose dependencies are not planned there is
`missing-dependency`.

Feature.yaml rules must all hold: `allOf` needs every feature listed, `anyOf` at least one.
A dependency counts when it has a release there that can be deployed at some point (planned,
or stopped by a render error, missing config or values the chart's schema refuses: a fix will
clear them); disabled, kind-mismatch and missing-dependency releases never deploy with this
revision, so they do not count.
Settling walks depth-first, so a chain (a → b → c, c disabled) marks a and b. A release on a
dependency cycle is `missing-dependency` with the cycle through it spelled from its own feature
(`a → b → a` for a, `b → a → b` for b), the same whatever order pairs are settled in.
"""

from __future__ import annotations

from collections import deque
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
        if not _waits(release):
            self._settled[pair] = release
            return release
        assert release.chart is not None  # a release that waits has dependency rules
        rules = release.chart.feature_yaml.dependencies
        cycle = self._cycle_through(pair)
        if cycle is not None:
            release = _stopped(
                release, f"dependency cycle: {' → '.join(cycle)}", ProblemCode.DEPENDENCY_CYCLE
            )
            self._settled[pair] = release
            return release
        # Off every cycle, so the recursion below never comes back to this pair.
        met, unmet = self._check(pair[0], rules)
        if unmet:
            codes = {code for _, code in unmet}
            code = codes.pop() if len(codes) == 1 else ProblemCode.MISSING_DEPENDENCY
            release = _stopped(release, "needs " + "; ".join(reason for reason, _ in unmet), code)
        elif met != release.depends_on:
            release = replace(release, depends_on=met, _hash=[])
        self._settled[pair] = release
        return release

    def _cycle_through(self, pair: Pair) -> list[str] | None:
        """The shortest dependency cycle from the pair's feature back to it, as [a, …, a].

        Only releases that wait for dependencies pass the walk on, as in settling; names are
        taken in sorted order, so the cycle is the same whatever order pairs are settled in
        (a fresh plan and an incremental one agree).
        """
        environment, start = pair
        came_from: dict[str, str] = {}
        queue = deque([start])
        while queue:
            feature = queue.popleft()
            for name in _dependency_names(self._releases[(environment, feature)]):
                if name == start:
                    back = [feature]
                    while back[-1] != start:
                        back.append(came_from[back[-1]])
                    return [*reversed(back), start]
                if name not in came_from and _waits(self._releases.get((environment, name))):
                    came_from[name] = feature
                    queue.append(name)
        return None

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


def _waits(release: DesiredRelease | None) -> bool:
    """Whether settling looks at the release's dependencies: it can deploy and has some."""
    return (
        release is not None
        and release.status in _CAN_DEPLOY
        and release.chart is not None
        and bool(release.chart.feature_yaml.dependencies)
    )


def _dependency_names(release: DesiredRelease) -> list[str]:
    assert release.chart is not None
    rules = release.chart.feature_yaml.dependencies
    return sorted({name for rule in rules for name in rule.features})


def _stopped(release: DesiredRelease, message: str, code: ProblemCode) -> DesiredRelease:
    """`release` as missing-dependency: nothing of it is deployed, so it holds no values."""
    return replace(
        release,
        status=ReleaseStatus.MISSING_DEPENDENCY,
        message=message,
        code=code,
        flat={},
        values={},
        secret_keys=frozenset(),
        _hash=[],
    )
