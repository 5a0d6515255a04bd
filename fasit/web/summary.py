"""The fleet in numbers: statuses counted per feature and per environment, computed once per
reconciler generation and plan, so every page view between two passes costs a lookup."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fasit.model import Environment
from fasit.plan import Plan
from fasit.reconcile import ReleaseView, Status
from fasit.state import Located
from fasit.web.read import ReadSide
from fasit.web.shown import ATTENTION_STATUSES, PENDING_STATUSES

__all__ = ["FleetSummary", "Summaries", "Tally"]


@dataclass(frozen=True, slots=True)
class Tally:
    """Statuses counted over a set of releases."""

    counts: Mapping[Status, int]
    total: int

    @property
    def failed(self) -> int:
        return self.counts.get(Status.FAILED, 0)

    @property
    def prune_refused(self) -> int:
        return self.counts.get(Status.PRUNE_REFUSED, 0)

    @property
    def pending(self) -> int:
        return sum(self.counts.get(status, 0) for status in PENDING_STATUSES)

    @property
    def attention(self) -> int:
        """Releases in a status that needs a person (`ATTENTION_STATUSES`)."""
        return sum(self.counts.get(status, 0) for status in ATTENTION_STATUSES)

    @property
    def attention_statuses(self) -> list[str]:
        return [s.value for s in Status if s in ATTENTION_STATUSES and self.counts.get(s, 0)]

    def shown(self) -> dict[str, object]:
        return {
            "total": self.total,
            "failed": self.failed,
            "pending": self.pending,
            "attention": self.attention,
            "attention_statuses": self.attention_statuses,
            "counts": {status.value: n for status in Status if (n := self.counts.get(status, 0))},
        }


@dataclass(frozen=True, slots=True)
class FleetSummary:
    by_environment: Mapping[str, Sequence[ReleaseView]]
    by_feature: Mapping[str, Sequence[ReleaseView]]
    fleet: Tally
    features: Mapping[str, Tally]
    """Every registered feature (those with no release too), by name."""
    environments: Mapping[str, Tally]
    """Every environment of the plan and every one with releases, by id."""
    declared: Mapping[str, Located[Environment]]
    """The environments of the planned revision, by id."""


class Summaries:
    """The latest `FleetSummary`, made again when the generation or the plan moved."""

    def __init__(self, read: ReadSide) -> None:
        self._read = read
        # The plan summarized is held, not its id(): a freed plan's id can come back on the
        # next one, which would then never be summarized.
        self._made_from: tuple[int, Plan | None] | None = None
        self._summary: FleetSummary | None = None

    def current(self) -> FleetSummary:
        planned = self._read.planned()
        plan = None if planned is None else planned[1]
        generation = self._read.fleet.generation
        made_from = self._made_from
        if (
            self._summary is None
            or made_from is None
            or made_from[0] != generation
            or made_from[1] is not plan
        ):
            declared = {} if plan is None else plan.environments
            features = frozenset() if plan is None else plan.features
            releases = self._read.fleet.releases()
            self._summary = _summarize(releases, declared, features)
            self._made_from = (generation, plan)
        return self._summary


def _summarize(
    releases: Sequence[ReleaseView],
    declared: Mapping[str, Located[Environment]],
    features: frozenset[str],
) -> FleetSummary:
    by_environment: dict[str, list[ReleaseView]] = defaultdict(list)
    by_feature: dict[str, list[ReleaseView]] = defaultdict(list)
    for view in releases:
        by_environment[view.environment].append(view)
        by_feature[view.feature].append(view)
    return FleetSummary(
        dict(by_environment),
        dict(by_feature),
        _tally(releases),
        {name: _tally(by_feature.get(name, ())) for name in sorted(features | by_feature.keys())},
        {
            name: _tally(by_environment.get(name, ()))
            for name in sorted(declared.keys() | by_environment.keys())
        },
        declared,
    )


def _tally(views: Sequence[ReleaseView]) -> Tally:
    return Tally(Counter(view.status for view in views), len(views))
