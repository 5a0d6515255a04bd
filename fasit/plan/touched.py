"""Which (environment, feature) pairs a new revision can have changed, found from documents.

Two revisions' indexes are compared by content key (`Located.key`: file, content id, place in
the file), so what changed is found without looking inside: a changed environment touches every
pair of its tenant (templates may read `envs` and `management`), a changed Feature or chart
every pair of the feature, a changed Config its own pair, and an added or removed assignment
every environment it matches (before and after). Everything else is planned exactly as last
time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fasit.model import Assignment
from fasit.state import Located, StateIndex, Targeting, changed_documents

__all__ = ["PlanInputs", "touched_pairs"]

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """What one plan was made from (kept so the next plan can compare)."""

    index: StateIndex
    targeting: Targeting
    charts: Mapping[tuple[str, str], str]
    """What each assigned (feature, version)'s chart is: its digest, or why it is unavailable."""
    secrets_version: str


def touched_pairs(old: PlanInputs, new: PlanInputs) -> set[Pair] | None:
    """The pairs to plan again, or None when everything must be (the secrets changed)."""
    if old.secrets_version != new.secrets_version:
        return None
    tenants = {
        environment_id.partition("/")[0]
        for environment_id in changed_documents(old.index.environments, new.index.environments)
    }
    features = changed_documents(old.index.features, new.index.features)
    features |= {feature for feature, _ in _changed_values(old.charts, new.charts)}
    pairs = changed_documents(old.index.configs, new.index.configs)
    pairs |= _assignment_pairs(old, new, lambda assignment: assignment.model.feature in features)
    if tenants:
        names = old.index.features.keys() | new.index.features.keys()
        for environment_id in old.index.environments.keys() | new.index.environments.keys():
            if environment_id.partition("/")[0] in tenants:
                for name in names:
                    pair = (environment_id, name)
                    if pair in old.targeting.winners or pair in new.targeting.winners:
                        pairs.add(pair)
    return pairs


def _changed_values(
    old: Mapping[tuple[str, str], str | None], new: Mapping[tuple[str, str], str | None]
) -> set[tuple[str, str]]:
    return {key for key in old.keys() | new.keys() if old.get(key, "") != new.get(key, "")}


def _assignment_pairs(
    old: PlanInputs, new: PlanInputs, also: Callable[[Located[Assignment]], bool]
) -> set[Pair]:
    """Every environment matched by an assignment that was added or removed, or for which
    `also` holds (every pair of a feature is matched by one of its assignments)."""
    old_keys = {assignment.key for assignment in old.index.assignments}
    new_keys = {assignment.key for assignment in new.index.assignments}
    pairs: set[Pair] = set()
    for inputs, others in ((old, new_keys), (new, old_keys)):
        for assignment in inputs.index.assignments:
            if assignment.key not in others or also(assignment):
                feature = assignment.model.feature
                pairs.update((env, feature) for env in inputs.targeting.matched(assignment))
    return pairs
