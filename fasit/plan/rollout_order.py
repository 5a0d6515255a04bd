"""In which wave each environment gets a feature's changes, and the order a change rolls in.

`fasit plan` and `fasit explain` show it, from the plan alone: the Rollout a feature follows
(`Plan.rollouts`) and the environments each change reaches. At run time the reconciler's wave
rule (fasit/reconcile/waves.py) holds each wave until the ones before are healthy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fasit.model import duration_text
from fasit.plan.diff import Change, ChangeKind
from fasit.plan.revision_plan import Plan

__all__ = ["RolloutOrder", "WaveStep", "rollout_orders", "wave_label"]

_DEPLOYING = frozenset(
    {
        ChangeKind.INSTALL,
        ChangeKind.UPGRADE,
        ChangeKind.DOWNGRADE,
        ChangeKind.VALUES_CHANGED,
        ChangeKind.REDEPLOY,
    }
)


@dataclass(frozen=True, slots=True)
class WaveStep:
    name: str
    soak_seconds: int
    environments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RolloutOrder:
    """The waves one feature's change goes through, with the environments it reaches in each;
    waves it reaches nowhere are left out."""

    feature: str
    rollout: str
    waves: tuple[WaveStep, ...]
    paused: str = ""
    """"" or where and why its Rollout is paused."""

    def document(self) -> dict[str, object]:
        return {
            "feature": self.feature,
            "rollout": self.rollout,
            "paused": self.paused or None,
            "waves": [
                {
                    "name": step.name,
                    "soak_seconds": step.soak_seconds,
                    "environments": list(step.environments),
                }
                for step in self.waves
            ],
        }

    def sentence(self) -> str:
        """`web rolls out by default: dev (nav/dev) → prod after a 10m soak (nav/prod)`."""
        steps = []
        for step in self.waves:
            soak = f" after a {duration_text(step.soak_seconds)} soak" if step.soak_seconds else ""
            steps.append(f"{step.name}{soak} ({', '.join(step.environments)})")
        paused = f"; paused: {self.paused}" if self.paused else ""
        return f"{self.feature} rolls out by {self.rollout}: {' → '.join(steps)}{paused}"


def wave_label(plan: Plan, environment: str, feature: str) -> str:
    """`wave dev of default`, or "" when the feature follows no Rollout."""
    layout = plan.rollouts.get(feature)
    if layout is None:
        return ""
    return f"wave {layout.names[layout.wave_of(environment)]} of {layout.name}"


def rollout_orders(plan: Plan, changes: Sequence[Change]) -> list[RolloutOrder]:
    """Per feature that a deploying change touches and that follows a Rollout, its wave order."""
    reached: dict[str, list[str]] = {}
    for change in changes:
        if change.kind in _DEPLOYING and change.feature in plan.rollouts:
            reached.setdefault(change.feature, []).append(change.environment)
    return [
        _order(plan, feature, environments) for feature, environments in sorted(reached.items())
    ]


def _order(plan: Plan, feature: str, environments: Iterable[str]) -> RolloutOrder:
    layout = plan.rollouts[feature]
    by_wave: dict[int, list[str]] = {}
    for environment in environments:
        by_wave.setdefault(layout.wave_of(environment), []).append(environment)
    steps = tuple(
        WaveStep(layout.names[number], layout.soaks[number], tuple(sorted(by_wave[number])))
        for number in sorted(by_wave)
    )
    return RolloutOrder(feature, layout.name, steps, layout.pause_note)
