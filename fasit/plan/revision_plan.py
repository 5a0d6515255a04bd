"""`Plan`: every desired release of one revision, what the planner (planner.py) makes.

Plain data that every reader of a plan imports (diff, explain, history, rollout order, the
reconciler) without importing the planner itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from fasit.model import Environment, PruneSettings
from fasit.plan.release import DesiredRelease, ReleaseStatus
from fasit.state import Located, Revision, WaveLayout

__all__ = ["Plan"]

_NO_PROBLEM = frozenset({ReleaseStatus.PLANNED, ReleaseStatus.DISABLED})


@dataclass(frozen=True, slots=True)
class Plan:
    """Every desired release of one revision, by (environment id, feature)."""

    revision: Revision
    releases: Mapping[tuple[str, str], DesiredRelease]
    rendered: int
    """How many pairs were rendered for this plan (the rest were carried over)."""
    prune: frozenset[str] = frozenset()
    """Features whose releases are uninstalled where no assignment reaches them."""
    environments: Mapping[str, Located[Environment]] = field(default_factory=dict)
    """Every environment of the revision, by id (those no assignment reaches included)."""
    features: frozenset[str] = frozenset()
    """Every registered feature: a release of any other name is never fasit's to prune."""
    protected: frozenset[str] = frozenset()
    """Features never uninstalled, whatever `prune` says."""
    prune_budget: PruneSettings = field(default_factory=PruneSettings)
    """How many uninstalls the fleet may see per window (`.fasit.yaml`'s `prune`)."""
    rollouts: Mapping[str, WaveLayout] = field(default_factory=dict)
    """The waves each feature's changes follow, by feature; a feature with none is absent."""

    def ordered(self) -> list[DesiredRelease]:
        """Releases by environment, then feature."""
        return [self.releases[key] for key in sorted(self.releases)]

    def problem_counts(self) -> dict[str, int]:
        """Releases stopped by a problem, counted by their status (the problem's code), sorted.

        A served revision has no blocking errors, so this is what says it left releases behind
        (a chart unavailable, a render error); disabled releases are no problem. For example
        `{"chart-unavailable": 2, "render-error": 1}`.
        """
        counts = Counter(
            release.status.value
            for release in self.releases.values()
            if release.status not in _NO_PROBLEM
        )
        return dict(sorted(counts.items()))
