"""Rollouts: which wave each environment is in, for every Rollout, and what is wrong with them.

`check_rollouts` runs with the cross-checks: Rollout names are unique, a Feature names only a
Rollout that exists, wave names are unique within a Rollout, no environment is selected by two
waves of one Rollout (reported at both waves), and a wave that selects nothing is a warning.
Environments no wave selects form an implicit last wave. Pure: documents in, layouts out; the
reconciler's wave rule (`fasit/reconcile/waves.py`) reads the layouts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fasit.model import Environment, Feature, Rollout
from fasit.state.documents import Located
from fasit.state.problems import Problem, ProblemCode, Severity, some
from fasit.state.suggest import did_you_mean
from fasit.state.targeting import LabelIndex

__all__ = [
    "DEFAULT_ROLLOUT",
    "REST_WAVE",
    "WaveLayout",
    "check_rollouts",
    "pause_note",
    "rollout_of",
]

DEFAULT_ROLLOUT = "default"
"""The Rollout every Feature that names none follows, when it exists."""

REST_WAVE = "(rest)"
"""The name of the implicit last wave: environments no wave selects. Not a DNS label, so no
declared wave can be called that."""


@dataclass(frozen=True, slots=True)
class WaveLayout:
    """One Rollout's waves over the environments of one revision.

    Waves dev ({env: dev}) and prod ({env: prod}) over nav/dev, nav/prod and nav/lab give
    names ('dev', 'prod', '(rest)') and members {nav/dev: 0, nav/prod: 1, nav/lab: 2}.
    """

    rollout: Located[Rollout]
    names: tuple[str, ...]
    """The declared waves in order, then `REST_WAVE` (always last, maybe empty)."""
    soaks: tuple[int, ...]
    """Each wave's soak in seconds (the implicit wave soaks 0)."""
    members: Mapping[str, int]
    """Environment id → index of its wave; environments no wave selects are in the last."""

    @property
    def name(self) -> str:
        return self.rollout.model.name

    @property
    def rest(self) -> int:
        """The index of the implicit last wave."""
        return len(self.names) - 1

    def wave_of(self, environment: str) -> int:
        return self.members.get(environment, self.rest)

    @property
    def paused(self) -> bool:
        return self.rollout.model.paused

    @property
    def skip_offline(self) -> bool:
        return self.rollout.model.skip_offline

    @property
    def pause_note(self) -> str:
        """`REASON (file:line)` while the Rollout is paused, else ""."""
        if not self.paused:
            return ""
        return pause_note(self.rollout.model.reason, self.rollout.where("paused"))


def pause_note(reason: str, where: str) -> str:
    """How a pause is shown after `paused: `: its reason and where it is set."""
    return f"{reason or 'no reason given'} ({where})"


def rollout_of(feature: Feature, layouts: Mapping[str, WaveLayout]) -> WaveLayout | None:
    """The layout a change of `feature` follows: its `rollout`, else `default`, else none."""
    return layouts.get(feature.rollout or DEFAULT_ROLLOUT)


def check_rollouts(
    rollouts: Mapping[str, Located[Rollout]],
    environments: Iterable[Located[Environment]],
    features: Iterable[Located[Feature]],
    invalid: Mapping[tuple[str, str], str],
) -> tuple[dict[str, WaveLayout], list[Problem]]:
    """The layout of every Rollout, and the problems of Rollouts and of Features naming one.

    `rollouts` are already unique by name (duplicates are the cross-checks' job).
    """
    models = [environment.model for environment in environments]
    index = LabelIndex(models)
    problems: list[Problem] = []
    layouts = {name: _layout(rollout, index, problems) for name, rollout in rollouts.items()}
    for feature in features:
        name = feature.model.rollout
        if name is None or name in rollouts:
            continue
        broken = invalid.get(("Rollout", name))
        message = (
            f"rollout {name!r} is defined at {broken}, but that document is invalid (see there)"
            if broken is not None
            else f"unknown rollout {name!r}: no Rollout document defines it"
            + did_you_mean(name, rollouts)
        )
        problems.append(
            Problem.at(
                feature.file, feature.position("rollout"), ProblemCode.UNKNOWN_ROLLOUT, message
            )
        )
    return layouts, problems


def _layout(rollout: Located[Rollout], index: LabelIndex, problems: list[Problem]) -> WaveLayout:
    waves = rollout.model.waves
    members: dict[str, int] = {}
    first_wave: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for number, wave in enumerate(waves):
        earlier = seen_names.get(wave.name)
        if earlier is not None:
            problems.extend(_duplicate_wave(rollout, earlier, number))
        else:
            seen_names[wave.name] = number
        selected = list(index.environments(index.matching(wave.target)))
        if not selected:
            problems.append(
                Problem.at(
                    rollout.file,
                    rollout.position("waves", number, "target"),
                    ProblemCode.EMPTY_WAVE,
                    f"wave {wave.name!r} selects no environment",
                    Severity.WARNING,
                )
            )
        for environment in selected:
            if environment in members:
                first_wave.setdefault(environment, members[environment])
                continue
            members[environment] = number
        overlap = [env for env in selected if first_wave.get(env, number) != number]
        for other in sorted({first_wave[env] for env in overlap}):
            shown = some(sorted(env for env in overlap if first_wave[env] == other))
            problems.extend(_overlap(rollout, other, number, shown))
    rest = len(waves)
    for environment in index.ids:
        members.setdefault(environment, rest)
    names = (*(wave.name for wave in waves), REST_WAVE)
    soaks = (*(wave.soak_seconds for wave in waves), 0)
    return WaveLayout(rollout, names, soaks, members)


def _duplicate_wave(rollout: Located[Rollout], first: int, second: int) -> list[Problem]:
    name = rollout.model.waves[first].name
    return [
        Problem.at(
            rollout.file,
            rollout.position("waves", this, "name"),
            ProblemCode.DUPLICATE,
            f"duplicate wave {name!r}: also at {rollout.where('waves', other, 'name')}",
        )
        for this, other in ((first, second), (second, first))
    ]


def _overlap(rollout: Located[Rollout], first: int, second: int, shown: str) -> list[Problem]:
    waves = rollout.model.waves
    return [
        Problem.at(
            rollout.file,
            rollout.position("waves", this, "target"),
            ProblemCode.WAVE_OVERLAP,
            f"wave {waves[this].name!r} and wave {waves[other].name!r} (at "
            f"{rollout.where('waves', other, 'target')}) both select {shown}: an environment"
            " is in one wave only",
        )
        for this, other in ((first, second), (second, first))
    ]
