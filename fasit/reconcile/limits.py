"""Limits that span environments: the circuit breaker, one deploy at a time, the fleet cap.

Pure functions over a pass's decisions and what is in flight; `decisions.py` decides each
environment alone, these keep a bad rollout from reaching the whole fleet at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from fasit.reconcile.decisions import Circuit, Decision, Reason, RolloutKey

__all__ = ["Limits", "apply_limits", "open_circuits"]


@dataclass(frozen=True, slots=True)
class Limits:
    per_environment: int = 1
    """Instructions in flight per environment (deploys are serial by default)."""
    fleet: int = 50
    """Instructions in flight across the fleet."""
    circuit_threshold: int = 3
    """Environments that failed one rollout before it is sent to no more."""

    def __post_init__(self) -> None:
        if self.per_environment < 1 or self.fleet < 1 or self.circuit_threshold < 1:
            raise ValueError(f"limits must be at least 1, got {self}")


def open_circuits(
    failures: Iterable[tuple[str, RolloutKey, str]], threshold: int
) -> dict[RolloutKey, Circuit]:
    """Rollouts whose current hash failed in `threshold` or more environments.

    `failures` holds (environment, rollout, error) for each environment whose desired
    release's latest attempt failed.
    """
    by_rollout: dict[RolloutKey, list[tuple[str, str]]] = defaultdict(list)
    for environment, rollout, error in failures:
        by_rollout[rollout].append((environment, error))
    return {
        rollout: Circuit(rollout, tuple(sorted(failed)))
        for rollout, failed in by_rollout.items()
        if len(failed) >= threshold
    }


def apply_limits(
    decisions: Mapping[str, list[Decision]],
    in_flight: Mapping[str, int],
    limits: Limits,
) -> dict[str, list[Decision]]:
    """The decisions with sends beyond a limit turned into `queued`, environments in order.

    `in_flight` counts unfinished instructions per environment. Only environments with a
    send appear in the result; the others' decisions stand as they are.
    """
    fleet_busy = sum(in_flight.values())
    limited: dict[str, list[Decision]] = {}
    for environment in sorted(decisions):
        listed = decisions[environment]
        if not any(decision.reason.sends for decision in listed):
            continue
        busy = in_flight.get(environment, 0)
        kept: list[Decision] = []
        for decision in listed:
            if not decision.reason.sends:
                kept.append(decision)
            elif busy >= limits.per_environment:
                kept.append(_queued(decision, _serial_message(limits.per_environment)))
            elif fleet_busy >= limits.fleet:
                kept.append(_queued(decision, f"fleet cap: {limits.fleet} instructions in flight"))
            else:
                kept.append(decision)
                busy += 1
                fleet_busy += 1
        limited[environment] = kept
    return limited


def _serial_message(per_environment: int) -> str:
    if per_environment == 1:
        return "one instruction at a time in this environment: another is in flight"
    return f"{per_environment} instructions at a time in this environment: all are in flight"


def _queued(decision: Decision, why: str) -> Decision:
    return replace(decision, reason=Reason.QUEUED, message=f"{decision.message}; held: {why}")
