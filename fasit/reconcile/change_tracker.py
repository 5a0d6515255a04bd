"""Where each environment stands in each change rolling through a Rollout's waves.

Worked out again only when a standing moved (an environment's desired releases or run-time
state, what the shared store shows of other replicas' environments) or a soak ended; the
fleet decider asks it what holds a deploy back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from fasit.plan import DesiredRelease, Plan
from fasit.reconcile.decisions import RolloutKey
from fasit.reconcile.ladder import Status
from fasit.reconcile.runtime import Runtime
from fasit.reconcile.waves import (
    ChangeProgress,
    Hold,
    Standing,
    gate_change,
    pause_hold,
    standing_of,
    stored_standing,
)
from fasit.state import WaveLayout

__all__ = ["ChangeTracker", "Shown"]

Shown = tuple[Status, str, str, datetime | None]
"""A release as the shared store shows it: status, desired version, running version, and when
it last finished deploying."""

Desired = Callable[[str], Mapping[str, DesiredRelease]]
"""An environment's desired releases by feature (the decider's, carried over by identity)."""


@dataclass(frozen=True, slots=True)
class _Standings:
    """Where one environment stands in the changes that reach it, valid while its inputs are."""

    desired: Mapping[str, DesiredRelease]
    version: int
    layouts: Mapping[str, WaveLayout]
    standings: tuple[tuple[RolloutKey, Standing], ...]


class ChangeTracker:
    """Each change's waves as of the last pass, and the earliest time one of them moves."""

    def __init__(self) -> None:
        self._standings: dict[str, _Standings] = {}
        self._changes: dict[RolloutKey, ChangeProgress] = {}
        self._others_tracked: Mapping[tuple[str, str], Shown] = {}
        self.due: datetime | None = None
        """The earliest time a change's gate opens by itself (a soak ends)."""

    def changes(self) -> list[ChangeProgress]:
        """Each change not yet DEPLOYED everywhere, by feature then version."""
        return [change for _, change in sorted(self._changes.items()) if not change.done]

    def track(
        self,
        plan: Plan,
        desired: Desired,
        runtime: Runtime,
        owned: set[str],
        others_shown: Mapping[tuple[str, str], Shown],
        now: datetime,
    ) -> None:
        """Work out each change's waves again when a standing moved or a soak ended."""
        moved = False
        for environment in owned:
            if self._refresh(environment, desired(environment), plan, runtime):
                moved = True
        for gone in self._standings.keys() - owned:
            del self._standings[gone]
            moved = True
        if others_shown is not self._others_tracked:
            self._others_tracked = others_shown
            moved = True
        if not moved and (self.due is None or now < self.due):
            return
        reached: dict[RolloutKey, list[Standing]] = {}
        for memo in self._standings.values():
            for key, standing in memo.standings:
                reached.setdefault(key, []).append(standing)
        for key, standing in _others_standings(plan, desired, owned, others_shown):
            reached.setdefault(key, []).append(standing)
        self._changes = {
            key: gate_change(key, plan.rollouts[key[0]], standings, now)
            for key, standings in reached.items()
        }
        dues = [change.due for change in self._changes.values() if change.due is not None]
        self.due = min(dues, default=None)

    def hold(
        self, plan: Plan, environment: str, feature: str, release: DesiredRelease
    ) -> Hold | None:
        """What keeps a deploy of `release` to `environment` back: a pause, or its wave."""
        layout = plan.rollouts.get(feature)
        paused = pause_hold(release, layout)
        if paused is not None or layout is None:
            return paused
        change = self._changes.get(_rollout_key(feature, release))
        if change is None:
            return None
        return change.waves[layout.wave_of(environment)].hold

    def _refresh(
        self,
        environment: str,
        desired: Mapping[str, DesiredRelease],
        plan: Plan,
        runtime: Runtime,
    ) -> bool:
        """Whether the environment's standings were worked out again."""
        state = runtime.environments.get(environment)
        version = -1 if state is None else state.version
        memo = self._standings.get(environment)
        layouts = plan.rollouts
        if (
            memo is not None
            and memo.desired is desired
            and memo.version == version
            and memo.layouts is layouts
        ):
            return False
        standings = []
        for feature, release in desired.items():
            layout = layouts.get(feature)
            if layout is None:
                continue
            standing = standing_of(environment, release, state, layout.wave_of(environment))
            if standing is not None:
                standings.append((_rollout_key(feature, release), standing))
        self._standings[environment] = _Standings(desired, version, layouts, tuple(standings))
        return True


def _others_standings(
    plan: Plan,
    desired: Desired,
    owned: set[str],
    others_shown: Mapping[tuple[str, str], Shown],
) -> list[tuple[RolloutKey, Standing]]:
    """Where the environments other replicas own stand, from the shared store (none when
    this replica owns the whole fleet)."""
    if not others_shown:
        return []
    found = []
    for environment in plan.environments.keys() - owned:
        for feature, release in desired(environment).items():
            layout = plan.rollouts.get(feature)
            if layout is None:
                continue
            shown = others_shown.get((environment, feature))
            standing = stored_standing(environment, release, layout.wave_of(environment), shown)
            if standing is not None:
                found.append((_rollout_key(feature, release), standing))
    return found


def _rollout_key(feature: str, release: DesiredRelease) -> RolloutKey:
    return (feature, release.version, release.digest or "")
