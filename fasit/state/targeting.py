"""Targeting: which assignment wins each (environment, feature), and where that is ambiguous.

An environment matches an assignment when its labels contain every target label. Per
(environment, feature) the winner is the matching assignment with the most target labels,
then the highest priority; a disabled winner means the feature is disabled there. A tie that
remains between assignments that disagree (version, enabled, redeploy or paused) is
ambiguous.

Environments are numbered and each label (key, value) maps to a bitset of environments, so an
assignment's environments are the AND of a few integers rather than a scan of the fleet.
Pure: values in, values out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, groupby

from fasit.model import Assignment, Config, Environment, EnvironmentId, Feature, FeatureName
from fasit.state.documents import Located
from fasit.state.problems import Problem, ProblemCode, Severity, some

__all__ = [
    "LabelIndex",
    "Targeting",
    "rank",
    "target",
    "unassigned_protected",
    "unused_configs",
]


class LabelIndex:
    """Environments by label, as bitsets over their position in `environments`."""

    def __init__(self, environments: Sequence[Environment]) -> None:
        self.ids = tuple(environment.id for environment in environments)
        self.everything = (1 << len(self.ids)) - 1
        self._by_label: dict[tuple[str, str], int] = defaultdict(int)
        for number, environment in enumerate(environments):
            for label in environment.labels.items():
                self._by_label[label] |= 1 << number

    def matching(self, target: Mapping[str, str]) -> int:
        """The bitset of environments whose labels contain every label of `target`."""
        mask = self.everything
        for label in target.items():
            mask &= self._by_label.get(label, 0)
            if not mask:
                break
        return mask

    def environments(self, mask: int) -> Iterator[str]:
        """The ids of the environments in `mask`, in index order."""
        while mask:
            lowest = mask & -mask
            yield self.ids[lowest.bit_length() - 1]
            mask ^= lowest


@dataclass(frozen=True, slots=True)
class Targeting:
    """Winners per (environment id, feature) and each assignment's matching environments."""

    index: LabelIndex
    winners: dict[tuple[str, str], Located[Assignment]]
    matches: dict[str, int]
    """Each assignment's content key (`Located.key`) → bitset of the environments it matches."""
    problems: tuple[Problem, ...]

    def matched(self, assignment: Located[Assignment]) -> list[str]:
        """The environments whose labels contain the assignment's target."""
        return list(self.index.environments(self.matches.get(assignment.key, 0)))


def target(
    environments: Iterable[Located[Environment]], assignments: Iterable[Located[Assignment]]
) -> Targeting:
    """Decide the winner for every (environment, feature) that an assignment reaches."""
    index = LabelIndex([environment.model for environment in environments])
    winners: dict[tuple[str, str], Located[Assignment]] = {}
    matches: dict[str, int] = {}
    problems: list[Problem] = []
    by_feature: dict[str, list[Located[Assignment]]] = defaultdict(list)
    for assignment in assignments:
        matches[assignment.key] = index.matching(assignment.model.target)
        by_feature[assignment.model.feature].append(assignment)

    for feature, candidates in by_feature.items():
        remaining = index.everything
        ranked = sorted(candidates, key=rank, reverse=True)
        for _, group_iter in groupby(ranked, key=rank):
            group = list(group_iter)
            for first, second in combinations(group, 2):
                overlap = matches[first.key] & matches[second.key] & remaining
                if overlap and _outcome(first) != _outcome(second):
                    problems.extend(_ambiguity(first, second, index, overlap))
            taken = 0
            for assignment in group:  # file order within a rank: the first one decides
                won = matches[assignment.key] & remaining & ~taken
                for environment in index.environments(won):
                    winners[(environment, feature)] = assignment
                taken |= won
            remaining &= ~taken
            if not remaining:
                break
    return Targeting(index, winners, matches, tuple(problems))


def rank(assignment: Located[Assignment]) -> tuple[int, int]:
    """What decides between matching assignments: target labels, then priority."""
    return (len(assignment.model.target), assignment.model.priority)


def _outcome(assignment: Located[Assignment]) -> tuple[str, bool, str, bool]:
    model = assignment.model
    return (model.version, model.enabled, model.redeploy, model.paused)


def _ambiguity(
    first: Located[Assignment], second: Located[Assignment], index: LabelIndex, overlap: int
) -> list[Problem]:
    shown = some(list(index.environments(overlap)))
    differences = _differences(first.model, second.model)
    labels = len(first.model.target)
    rule = f"{labels} target label{'s' if labels != 1 else ''} and priority {first.model.priority}"
    return [
        Problem.at(
            this.file,
            this.position("target"),
            ProblemCode.AMBIGUOUS_ASSIGNMENT,
            f"ambiguous with {other.where('target')}: both have {rule} and match {shown}, but they"
            f" differ in {differences}; make one more specific or give it a higher priority",
        )
        for this, other in ((first, second), (second, first))
    ]


def _differences(first: Assignment, second: Assignment) -> str:
    parts = []
    for field in ("version", "enabled", "redeploy", "paused"):
        mine, theirs = getattr(first, field), getattr(second, field)
        if mine != theirs:
            parts.append(f"{field} ({mine!r} vs {theirs!r})")
    return " and ".join(parts)


def unused_configs(
    configs: Mapping[tuple[EnvironmentId, FeatureName], Located[Config]], targeting: Targeting
) -> list[Problem]:
    """A warning at each Config for an (environment, feature) that no assignment reaches."""
    return [
        Problem.at(
            config.file,
            config.position("environment"),
            ProblemCode.CONFIG_UNUSED,
            f"no assignment of {feature} reaches {environment_id}, so this config is not used",
            Severity.WARNING,
        )
        for (environment_id, feature), config in configs.items()
        if (environment_id, feature) not in targeting.winners
    ]


def unassigned_protected(
    features: Mapping[FeatureName, Located[Feature]], targeting: Targeting
) -> list[Problem]:
    """A warning at each `protected: true` Feature that no assignment reaches anywhere.

    Protection keeps it running where it runs, but nothing keeps it up to date there any more:
    usually an assignment removed by mistake (fasit's own agent, say).
    """
    reached = {feature for _, feature in targeting.winners}
    return [
        Problem.at(
            feature.file,
            feature.position("protected"),
            ProblemCode.PROTECTED_UNASSIGNED,
            f"{name} is protected but no assignment reaches any environment: where it runs it "
            "is never uninstalled, and no longer deployed either",
            Severity.WARNING,
        )
        for name, feature in features.items()
        if feature.model.protected and name not in reached
    ]
