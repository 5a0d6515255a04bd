"""Why an environment gets what it gets of a feature: every assignment judged, every value traced.

For each assignment of the feature: whether its target matches the environment's labels and,
if not, which label is missing or different; which assignment won and by which rule (more
target labels, then higher priority, then file order among assignments that agree).
"""

from __future__ import annotations

from dataclasses import dataclass

from fasit.model import Assignment, Environment, Feature, duration_text
from fasit.plan.release import DesiredRelease, ValueSource
from fasit.plan.revision_plan import Plan
from fasit.state import Located, Snapshot, WaveLayout, rank

__all__ = ["AssignmentVerdict", "Explanation", "explain"]


@dataclass(frozen=True, slots=True)
class AssignmentVerdict:
    """One assignment of the feature, judged against one environment."""

    assignment: Located[Assignment]
    matched: bool
    reason: str
    won: bool


@dataclass(frozen=True, slots=True)
class Explanation:
    environment: Located[Environment]
    feature: Located[Feature]
    verdicts: tuple[AssignmentVerdict, ...]
    release: DesiredRelease | None
    sources: tuple[ValueSource, ...]
    rollout: WaveLayout | None = None
    """The Rollout the feature's changes follow, if any."""

    def wave(self) -> dict[str, object] | None:
        """Which wave of its Rollout the environment is in, and the waves' order."""
        layout = self.rollout
        if layout is None:
            return None
        number = layout.wave_of(self.environment.model.id)
        return {
            "rollout": layout.name,
            "wave": layout.names[number],
            "index": number,
            "order": [layout.names[n] for n in _order(layout, number)],
            "soak_seconds": layout.soaks[number],
            "paused": layout.pause_note or None,
        }

    def wave_sentence(self) -> str:
        """The wave in a sentence for people: where it is and when a change reaches it."""
        layout = self.rollout
        if layout is None:
            return ""
        number = layout.wave_of(self.environment.model.id)
        order = " → ".join(
            f"{layout.names[n]} after a {duration_text(layout.soaks[n])} soak"
            if layout.soaks[n]
            else layout.names[n]
            for n in _order(layout, number)
        )
        head = f"wave {layout.names[number]} of {layout.name} ({order})"
        if number == 0:
            when = "the first wave: its changes come here first"
        else:
            soak = layout.soaks[number]
            waited = f" for {duration_text(soak)}" if soak else ""
            noun = "wave" if number == 1 else "waves"
            when = (
                f"its changes reach this environment once every environment of {noun}"
                f" {', '.join(layout.names[:number])} has run them DEPLOYED{waited}"
            )
        paused = layout.pause_note
        return f"{head}; {when}" + (f"; paused: {paused}" if paused else "")

    def document(self) -> dict[str, object]:
        """The explanation as plain data (`fasit explain --format json`, the dashboard):
        values masked where secret."""
        release = self.release
        return {
            "environment": self.environment.model.id,
            "feature": self.feature.model.name,
            "labels": self.environment.model.labels,
            "assignments": [
                {
                    "file": verdict.assignment.file,
                    "line": verdict.assignment.position("target").line,
                    "version": verdict.assignment.model.version,
                    "target": verdict.assignment.model.target,
                    "priority": verdict.assignment.model.priority,
                    "enabled": verdict.assignment.model.enabled,
                    "matched": verdict.matched,
                    "won": verdict.won,
                    "reason": verdict.reason,
                }
                for verdict in self.verdicts
            ],
            "rollout": self.wave(),
            "release": None
            if release is None
            else {
                "status": release.status.value,
                "version": release.version,
                "message": release.message,
                "release_hash": release.release_hash,
            },
            "values": [
                {
                    "key": source.key,
                    "display_name": _display_name(release, source.key),
                    "value": source.shown,
                    "secret": source.secret,
                    "source": source.origin.value,
                    "file": source.location.file,
                    "line": source.location.line,
                }
                for source in self.sources
            ],
        }


def explain(snapshot: Snapshot, plan: Plan, environment_id: str, feature: str) -> Explanation:
    """The explanation for one pair; raises KeyError naming what does not exist."""
    index = snapshot.index
    if environment_id not in index.environments:
        raise KeyError(f"no environment {environment_id!r}")
    if feature not in index.features:
        raise KeyError(f"no feature {feature!r}")
    environment = index.environments[environment_id]
    winner = snapshot.targeting.winners.get((environment_id, feature))
    candidates = [a for a in index.assignments if a.model.feature == feature]
    verdicts = tuple(
        _verdict(assignment, environment.model, winner, candidates) for assignment in candidates
    )
    release = plan.releases.get((environment_id, feature))
    sources = tuple(release.sources()) if release is not None and release.planned else ()
    layout = plan.rollouts.get(feature)
    return Explanation(environment, index.features[feature], verdicts, release, sources, layout)


def _verdict(
    assignment: Located[Assignment],
    environment: Environment,
    winner: Located[Assignment] | None,
    candidates: list[Located[Assignment]],
) -> AssignmentVerdict:
    mismatch = _mismatch(assignment.model.target, environment.labels)
    if mismatch:
        return AssignmentVerdict(assignment, False, mismatch, False)
    if assignment is winner:
        return AssignmentVerdict(
            assignment, True, _why_won(assignment, environment, candidates), True
        )
    assert winner is not None  # something matched, so something won
    return AssignmentVerdict(assignment, True, _why_lost(assignment, winner), False)


def _mismatch(target: dict[str, str], labels: dict[str, str]) -> str:
    reasons = []
    for key, wanted in sorted(target.items()):
        if key not in labels:
            reasons.append(f"label {key} is missing (target wants {key}={wanted})")
        elif labels[key] != wanted:
            reasons.append(f"label {key} is {labels[key]}, target wants {wanted}")
    return "; ".join(reasons)


def _why_won(
    winner: Located[Assignment], environment: Environment, candidates: list[Located[Assignment]]
) -> str:
    rivals = [
        other
        for other in candidates
        if other is not winner and not _mismatch(other.model.target, environment.labels)
    ]
    labels = len(winner.model.target)
    if not rivals:
        return "the only assignment whose target matches" + (
            " (an empty target matches every environment)" if labels == 0 else ""
        )
    best_rival = max(rank(other) for other in rivals)
    if labels > best_rival[0]:
        return f"most specific: {_labels(labels)} against at most {best_rival[0]}"
    if winner.model.priority > best_rival[1]:
        return (
            f"highest priority ({winner.model.priority}) among the targets with {_labels(labels)}"
        )
    return "ties with another matching assignment that agrees with it; the first in file order"


def _why_lost(loser: Located[Assignment], winner: Located[Assignment]) -> str:
    ours, theirs = rank(loser), rank(winner)
    there = winner.where("target")
    if ours[0] < theirs[0]:
        return f"matches, but {there} is more specific ({_labels(theirs[0])} > {ours[0]})"
    if ours[1] < theirs[1]:
        return f"matches, but {there} has a higher priority ({theirs[1]} > {ours[1]})"
    return f"matches and ties with {there}, which comes first and agrees with it"


def _labels(count: int) -> str:
    return f"{count} target label" if count == 1 else f"{count} target labels"


def _display_name(release: DesiredRelease | None, key: str) -> str:
    """What the chart's Feature.yaml calls the value (its `displayName`), or ""."""
    chart = None if release is None else release.chart
    spec = None if chart is None else chart.feature_yaml.values.get(key)
    return "" if spec is None else spec.display_name


def _order(layout: WaveLayout, number: int) -> list[int]:
    """The declared waves, and the implicit last one when the environment is in it."""
    return list(range(layout.rest)) + ([layout.rest] if number == layout.rest else [])
