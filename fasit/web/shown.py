"""How things are shown to people and tools: one JSON shape per thing, shared by every page,
its JSON twin and the status API. Times are ISO 8601 in UTC; secrets are masked here, so
nothing secret leaves this module."""

from __future__ import annotations

from datetime import datetime

from fasit.model import SECRET_REF, is_secret_ref
from fasit.plan import MASK
from fasit.reconcile import ChangeProgress, Reason, ReleaseView, Status, WaveProgress, change_label
from fasit.state import Problem, Revision

__all__ = [
    "ATTENTION_STATUSES",
    "PENDING_STATUSES",
    "is_rolling",
    "masked_values",
    "problem",
    "release",
    "revision",
    "rollout",
    "time",
]

PENDING_STATUSES = frozenset(
    {Status.PENDING, Status.SENT, Status.INSTALLING, Status.UPGRADING, Status.UNINSTALLING}
)
"""Statuses on the way somewhere: what the "pending" pills count."""

ATTENTION_STATUSES = frozenset(
    {
        Status.FAILED,
        Status.CHART_UNAVAILABLE,
        Status.RENDER_ERROR,
        Status.MISSING_CONFIG,
        Status.MISSING_DEPENDENCY,
        Status.VALUES_INVALID,
        Status.OFFLINE,
        Status.PRUNE_REFUSED,
    }
)
"""Statuses that need a person: a release stays in one until someone changes something."""


def time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def revision(shown: Revision) -> dict[str, object]:
    return {
        "revision": shown.id,
        "short": shown.short_id,
        "time": time(shown.time),
        "author": shown.author,
        "message": shown.message,
        "source": shown.source,
    }


def problem(found: Problem) -> dict[str, object]:
    return {
        "file": found.file,
        "line": found.line,
        "column": found.column,
        "code": found.code.value,
        "severity": found.severity.value,
        "message": found.message,
    }


def release(view: ReleaseView) -> dict[str, object]:
    """One (environment, feature) with its status; `rolling` while the running version is
    another than the desired one and a deploy is on its way."""
    return {
        "environment": view.environment,
        "feature": view.feature,
        "status": view.status.value,
        "reason": view.reason.value,
        "desired_version": view.desired_version or None,
        "running_version": view.running_version or None,
        "rolling": is_rolling(view),
        "message": view.message,
        "updated_at": time(view.updated_at),
        "deployed_at": time(view.deployed_at),
    }


def is_rolling(view: ReleaseView) -> bool:
    """Whether a deploy is taking the release from the version running to another one."""
    running, desired = view.running_version, view.desired_version
    return bool(running and desired and running != desired) and view.status in PENDING_STATUSES


def rollout(change: ChangeProgress, now: datetime) -> dict[str, object]:
    """One change on its way through a Rollout's waves: per wave, per environment, with the
    soak still to go (from `now`) and what halted or paused it."""
    feature, version, digest = change.key
    remaining = None
    if change.soak_until is not None:
        remaining = max(0, round((change.soak_until - now).total_seconds()))
    return {
        "feature": feature,
        "change": change_label(change.key),
        "version": version,
        "digest": digest or None,
        "rollout": change.rollout,
        "current_wave": change.waves[change.current].name,
        "current_index": change.current,
        "halted": change.halted or None,
        "paused": change.paused or None,
        "soak_until": time(change.soak_until),
        "soak_remaining_seconds": remaining,
        "waves": [_wave(wave) for wave in change.waves],
    }


def _wave(wave: WaveProgress) -> dict[str, object]:
    if not wave.standings:
        state = "empty"  # the change reaches no environment of it
    elif wave.hold is None:
        state = "done" if wave.deployed == len(wave.standings) else "rolling"
    else:
        state = "halted" if wave.hold.reason is Reason.HALTED else "waiting"
    return {
        "name": wave.name,
        "soak_seconds": wave.soak_seconds,
        "state": state,
        "held": None if wave.hold is None else wave.hold.message,
        "deployed": wave.deployed,
        "total": len(wave.standings),
        "environments": [
            {
                "environment": standing.environment,
                "progress": standing.progress.value,
                "detail": standing.detail,
                "deployed_since": time(standing.since),
            }
            for standing in wave.standings
        ],
    }


def masked_values(values: object) -> object:
    """Values as written, each `{secretRef: NAME}` shown as the mask (a malformed one too)."""
    if is_secret_ref(values) or (isinstance(values, dict) and SECRET_REF in values):
        return MASK
    if isinstance(values, dict):
        return {key: masked_values(value) for key, value in values.items()}
    if isinstance(values, list):
        return [masked_values(value) for value in values]
    return values
