"""Cross-file checks over the loaded state, and the index they leave behind.

Order-independent: everything is collected first, then resolved, so a reference may point at
a document in any file. Every problem points at the offending value; a duplicate is reported
at both definitions. What needs charts or targeting is checked in later stages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from fasit.model import (
    Assignment,
    Config,
    Environment,
    EnvironmentKind,
    Feature,
    StateDocument,
)
from fasit.state.documents import Located
from fasit.state.loader import LoadedState
from fasit.state.problems import Problem, ProblemCode, Severity
from fasit.state.rollouts import WaveLayout, check_rollouts
from fasit.state.suggest import did_you_mean
from fasit.state.targeting import LabelIndex

__all__ = ["RESERVED_VALUE_KEYS", "StateIndex", "cross_check"]

RESERVED_VALUE_KEYS = ("name", "kind")

D = TypeVar("D", bound=StateDocument)
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class StateIndex:
    """The state with identities made unique and references resolved.

    Documents that lost a duplicate contest (the later definition) or refer to something
    unknown are left out, so later stages see a consistent state; their problems are reported.
    """

    environments: dict[str, Located[Environment]]
    features: dict[str, Located[Feature]]
    assignments: tuple[Located[Assignment], ...]
    configs: dict[tuple[str, str], Located[Config]]
    """By (environment id, feature name)."""
    management: dict[str, Located[Environment]]
    """The management environment of each tenant that has one."""
    rollouts: dict[str, WaveLayout] = field(default_factory=dict)
    """Each Rollout's waves over the environments, by Rollout name."""


def cross_check(state: LoadedState) -> tuple[StateIndex, list[Problem]]:
    """Check what needs more than one document; return the index and the problems."""
    problems: list[Problem] = []
    environments = _unique(
        state.environments, lambda e: e.model.id, "environment", "name", problems
    )
    features = _unique(state.features, lambda f: f.model.name, "feature", "name", problems)
    assignments = _unique(
        state.assignments,
        lambda a: (a.model.feature, _target_label(tuple(sorted(a.model.target.items())))),
        "assignment of this feature and target",
        "target",
        problems,
    )
    configs = _unique(
        state.configs,
        lambda c: (c.model.environment, c.model.feature),
        "config of this feature and environment",
        "environment",
        problems,
    )
    rollouts = _unique(state.rollouts, lambda r: r.model.name, "rollout", "name", problems)
    management = _management(environments.values(), problems)
    layouts, rollout_problems = check_rollouts(
        rollouts, environments.values(), features.values(), state.invalid
    )
    problems.extend(rollout_problems)
    problems.extend(_reserved_keys(environments.values()))

    known_assignments = []
    for assignment in assignments.values():
        if _known_feature(assignment, features, problems, state):
            known_assignments.append(assignment)
    problems.extend(_unmatched_labels(known_assignments, environments.values()))

    known_configs: dict[tuple[str, str], Located[Config]] = {}
    for (environment, feature), config in configs.items():
        known = _known_feature(config, features, problems, state)
        if environment not in environments:
            problems.append(
                Problem.at(
                    config.file,
                    config.position("environment"),
                    ProblemCode.UNKNOWN_ENVIRONMENT,
                    _unknown("environment", environment, environments, state),
                )
            )
        elif known:
            known_configs[(environment, feature)] = config
    index = StateIndex(
        environments=dict(environments),
        features=dict(features),
        assignments=tuple(known_assignments),
        configs=known_configs,
        management=management,
        rollouts=layouts,
    )
    return index, problems


def _unique(
    documents: Sequence[Located[D]],
    identity: Callable[[Located[D]], K],
    what: str,
    field: str,
    problems: list[Problem],
) -> dict[K, Located[D]]:
    """First definition of each identity; every later one is a duplicate at both places."""
    first: dict[K, Located[D]] = {}
    for document in documents:
        key = identity(document)
        earlier = first.get(key)
        if earlier is None:
            first[key] = document
            continue
        label = _label(key)
        problems.append(
            Problem.at(
                document.file,
                document.position(field),
                ProblemCode.DUPLICATE,
                f"duplicate {what} {label}: already defined at {earlier.where(field)}",
            )
        )
        problems.append(
            Problem.at(
                earlier.file,
                earlier.position(field),
                ProblemCode.DUPLICATE,
                f"duplicate {what} {label}: defined again at {document.where(field)}",
            )
        )
    return first


def _label(key: Hashable) -> str:
    if isinstance(key, tuple):
        return " ".join(_label(part) for part in key)
    return repr(key)


def _target_label(target: tuple[tuple[str, str], ...]) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in target) + "}"


def _unknown(what: str, name: str, known: Iterable[str], state: LoadedState) -> str:
    """Why `name` names no document: an invalid one defines it (where), or none does."""
    kind = what.capitalize()
    invalid = state.invalid.get((kind, name))
    if invalid is not None:
        return f"{what} {name!r} is defined at {invalid}, but that document is invalid (see there)"
    return f"unknown {what} {name!r}: no {kind} document defines it" + did_you_mean(name, known)


def _known_feature(
    document: Located[Assignment] | Located[Config],
    features: dict[str, Located[Feature]],
    problems: list[Problem],
    state: LoadedState,
) -> bool:
    if document.model.feature in features:
        return True
    problems.append(
        Problem.at(
            document.file,
            document.position("feature"),
            ProblemCode.UNKNOWN_FEATURE,
            _unknown("feature", document.model.feature, features, state),
        )
    )
    return False


def _management(
    environments: Iterable[Located[Environment]], problems: list[Problem]
) -> dict[str, Located[Environment]]:
    management: dict[str, Located[Environment]] = {}
    for environment in environments:
        model = environment.model
        if model.environment_kind is not EnvironmentKind.MANAGEMENT:
            continue
        first = management.get(model.tenant)
        if first is None:
            management[model.tenant] = environment
            continue
        problems.append(
            Problem.at(
                environment.file,
                environment.position("environmentKind"),
                ProblemCode.SECOND_MANAGEMENT,
                f"tenant {model.tenant!r} already has a management environment:"
                f" {first.model.id} at {first.where('environmentKind')}",
            )
        )
    return management


def _reserved_keys(environments: Iterable[Located[Environment]]) -> list[Problem]:
    return [
        Problem.at(
            environment.file,
            environment.position("values", key, at_key=True),
            ProblemCode.RESERVED_VALUE_KEY,
            f"environment value {key!r} is reserved: templates see env.{key} as the"
            f" environment's {key}",
        )
        for environment in environments
        for key in RESERVED_VALUE_KEYS
        if key in environment.model.values
    ]


def _unmatched_labels(
    assignments: Iterable[Located[Assignment]], environments: Iterable[Located[Environment]]
) -> list[Problem]:
    """An assignment whose target reaches no environment: a typo sends the intended
    environments another version, so it is an error unless the assignment is disabled.

    Each label no environment has is named (with the values there are); a target whose labels
    all exist but never together is named as a whole.
    """
    models = [environment.model for environment in environments]
    index = LabelIndex(models)
    values_by_key: dict[str, set[str]] = defaultdict(set)
    for model in models:
        for key, value in model.labels.items():
            values_by_key[key].add(value)
    problems = []
    for assignment in assignments:
        target = assignment.model.target
        if index.matching(target):
            continue
        severity = Severity.ERROR if assignment.model.enabled else Severity.WARNING
        unknown = [
            (key, _unknown_label(key, value, values_by_key.get(key), values_by_key))
            for key, value in target.items()
            if value not in values_by_key.get(key, ())
        ]
        if not unknown:
            together = ", ".join(f"{key}={value}" for key, value in target.items())
            unknown = [("", f"no environment has all of {together}")]
        for key, message in unknown:
            problems.append(
                Problem.at(
                    assignment.file,
                    assignment.position("target", key) if key else assignment.position("target"),
                    ProblemCode.UNMATCHED_TARGET_LABEL,
                    message,
                    severity,
                )
            )
    return problems


def _unknown_label(key: str, value: str, seen: set[str] | None, keys: Iterable[str]) -> str:
    if seen is None:
        return f"no environment has the label {key!r}{did_you_mean(key, keys)}"
    known = ", ".join(sorted(seen)[:10])
    hint = did_you_mean(value, seen)
    return f"no environment has {key}={value}{hint} (values of {key!r}: {known})"
