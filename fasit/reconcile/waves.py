"""The wave rule: a change of a feature reaches wave k only once the waves before it are healthy.

A *change* is a feature moving to new desired content, identified across environments by its
`RolloutKey` (feature, version, chart digest): release hashes differ per environment (values
name it), the key does not. Every environment whose desired release has that key is *reached*
by the change and stands in it (`standing_of`): DEPLOYED (at its desired hash, since when),
DEPLOYING, FAILED (the latest attempt at its desired hash), BLOCKED (a per-release problem) or
OFFLINE. `gate_change` walks the waves in order: wave k is open when every environment of the
waves before it is DEPLOYED, and has been for wave k's soak; a FAILED or BLOCKED one halts every
later wave; OFFLINE ones hold theirs unless the Rollout says `skipOffline`.

`hold_sends` applies the gates (and pauses) to a pass's sends, after `decide_environment` and
before the fleet's limits, as the prune budget does: a deploy that may not go yet becomes
`waiting-wave`, `halted` or `paused` (shown PENDING). In-flight work is never held, nor is a
resend of it. Pure: values in, values out; `fleet.py` keeps what it needs between passes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from fasit.model import duration_text
from fasit.plan import DesiredRelease, ReleaseStatus
from fasit.reconcile.decisions import Decision, Reason, RolloutKey
from fasit.reconcile.deploys import DeployState
from fasit.reconcile.ladder import Status
from fasit.reconcile.runtime import EnvironmentRuntime
from fasit.state import WaveLayout, pause_note, some

__all__ = [
    "ChangeProgress",
    "Hold",
    "Progress",
    "Standing",
    "WaveProgress",
    "change_label",
    "gate_change",
    "hold_sends",
    "pause_hold",
    "standing_of",
    "stored_standing",
]


class Progress(StrEnum):
    """Where one environment stands in a change; the words the rollouts page shows."""

    DEPLOYED = "DEPLOYED"
    DEPLOYING = "DEPLOYING"
    FAILED = "FAILED"
    BLOCKED = "BLOCKED"
    """A per-release problem (render error, missing config, …): it cannot deploy this change."""
    OFFLINE = "OFFLINE"


_HALTS = frozenset({Progress.FAILED, Progress.BLOCKED})
_NOT_REACHED = frozenset({ReleaseStatus.DISABLED, ReleaseStatus.KIND_MISMATCH})


@dataclass(frozen=True, slots=True)
class Standing:
    """One environment reached by a change, and where it stands in it."""

    environment: str
    wave: int
    progress: Progress
    detail: str
    """What people read after the environment: "deploying 2.0.0", "FAILED", "RENDER-ERROR"."""
    since: datetime | None = None
    """DEPLOYED since (its deploy's finish); None when it ran before fasit's records began."""


@dataclass(frozen=True, slots=True)
class Hold:
    """Why a deploy does not go this pass."""

    reason: Reason
    message: str
    due: datetime | None = None
    """When time alone opens it (a soak ends)."""


@dataclass(frozen=True, slots=True)
class WaveProgress:
    name: str
    soak_seconds: int
    standings: tuple[Standing, ...]
    hold: Hold | None
    """Why this wave does not get the change yet; None when it is open."""

    @property
    def deployed(self) -> int:
        return sum(1 for s in self.standings if s.progress is Progress.DEPLOYED)


@dataclass(frozen=True, slots=True)
class ChangeProgress:
    """One change's way through its Rollout's waves."""

    key: RolloutKey
    rollout: str
    waves: tuple[WaveProgress, ...]
    current: int
    """The index of the wave rolling now: the first one not yet all DEPLOYED (the last when
    every wave is)."""
    halted: str
    """"" or the halting sentence ("halted: acme/dev FAILED (wave dev)")."""
    soak_until: datetime | None
    """When the soak that holds the next wave ends, while one does."""
    paused: str = ""
    """"" or the pause sentence of the Rollout."""

    @property
    def done(self) -> bool:
        return all(s.progress is Progress.DEPLOYED for w in self.waves for s in w.standings)

    @property
    def due(self) -> datetime | None:
        dues = [w.hold.due for w in self.waves if w.hold is not None and w.hold.due is not None]
        return min(dues, default=None)


def change_label(key: RolloutKey) -> str:
    """The change as people (and metric labels) name it: `2.0.0`, or `2.0.0@<12 hex>`."""
    _, version, digest = key
    return f"{version}@{digest.removeprefix('sha256:')[:12]}" if digest else version


def standing_of(
    environment: str, release: DesiredRelease, state: EnvironmentRuntime | None, wave: int
) -> Standing | None:
    """Where `environment` stands in the change its desired `release` belongs to.

    None when the change does not reach it (the release is disabled or of another kind).
    """
    if release.status in _NOT_REACHED:
        return None
    if not release.planned:
        return Standing(environment, wave, Progress.BLOCKED, release.status.value.upper())
    release_hash = release.release_hash or ""
    feature = release.feature_name
    agent = None if state is None else state.agent_view()
    if agent is None or not agent.connected or agent.releases is None:
        return Standing(environment, wave, Progress.OFFLINE, "OFFLINE")
    assert state is not None  # an agent view comes from a state
    latest = state.latest.get(feature)
    if latest is not None and latest.release_hash != release_hash:
        latest = None  # an attempt at another hash is history, not this change's
    if latest is not None and latest.state is DeployState.FAILED:
        return Standing(environment, wave, Progress.FAILED, "FAILED")
    running = agent.releases.get(feature)
    if (
        feature not in state.in_flight
        and running is not None
        and running.release_hash == release_hash
        and running.status == "deployed"
    ):
        deployed = latest is not None and latest.state is DeployState.DEPLOYED
        since = latest.updated_at if latest is not None and deployed else None
        return Standing(environment, wave, Progress.DEPLOYED, "DEPLOYED", since)
    return Standing(environment, wave, Progress.DEPLOYING, f"deploying {release.version}")


_STORED = {
    Status.DEPLOYED: Progress.DEPLOYED,
    Status.FAILED: Progress.FAILED,
    Status.OFFLINE: Progress.OFFLINE,
}


def stored_standing(
    environment: str,
    release: DesiredRelease,
    wave: int,
    shown: tuple[Status, str, str, datetime | None] | None,
) -> Standing | None:
    """Where an environment another replica owns stands in the change of its desired
    `release`, from what the shared store shows of it: `shown` is (status, desired version,
    running version, deployed at) of its owner's latest decision, None if it has none yet.
    A decision about another version is an older change's: this one is still on its way."""
    if release.status in _NOT_REACHED:
        return None
    if not release.planned:
        return Standing(environment, wave, Progress.BLOCKED, release.status.value.upper())
    if shown is None or shown[1] != release.version:
        return Standing(environment, wave, Progress.DEPLOYING, f"deploying {release.version}")
    status, _, running, deployed_at = shown
    progress = _STORED.get(status, Progress.DEPLOYING)
    if progress is Progress.DEPLOYED and running != release.version:
        progress = Progress.DEPLOYING
    if progress is Progress.DEPLOYING:
        return Standing(environment, wave, progress, f"deploying {release.version}")
    since = deployed_at if progress is Progress.DEPLOYED else None
    return Standing(environment, wave, progress, progress.value, since)


def gate_change(
    key: RolloutKey, layout: WaveLayout, standings: Sequence[Standing], now: datetime
) -> ChangeProgress:
    """Which waves of `layout` may get the change `key` now, and why the others may not.

    `standings` are the environments the change reaches (any order). Wave k is open when no
    earlier environment halted it, every earlier one is DEPLOYED (or OFFLINE with
    `skipOffline`), and the latest of them has been DEPLOYED for wave k's soak.
    """
    by_wave: list[list[Standing]] = [[] for _ in layout.names]
    for standing in standings:
        by_wave[standing.wave].append(standing)
    skip_offline = layout.skip_offline
    halted = ""
    waiting = ""
    latest: datetime | None = None
    last_reached = ""
    current = -1
    soak_until: datetime | None = None
    waves = []
    for number, (name, soak) in enumerate(zip(layout.names, layout.soaks, strict=True)):
        members = tuple(sorted(by_wave[number], key=lambda s: s.environment))
        hold: Hold | None = None
        if halted:
            hold = Hold(Reason.HALTED, halted)
        elif waiting:
            hold = Hold(Reason.WAITING_WAVE, waiting)
        elif latest is not None and soak and now < latest + timedelta(seconds=soak):
            until = latest + timedelta(seconds=soak)
            soak_until = until if soak_until is None else min(soak_until, until)
            hold = Hold(
                Reason.WAITING_WAVE,
                f"waiting for wave {last_reached}: soaking until {_clock(until)}"
                f" (wave {name} soaks {duration_text(soak)})",
                until,
            )
        waves.append(WaveProgress(name, soak, members, hold))
        if not members:
            continue
        last_reached = name
        failing = [s for s in members if s.progress in _HALTS]
        pending = [
            s
            for s in members
            if s.progress is Progress.DEPLOYING
            or (s.progress is Progress.OFFLINE and not skip_offline)
        ]
        if (failing or pending) and current < 0:
            current = number
        if failing and not halted:
            listed = some([f"{s.environment} {s.detail}" for s in failing], shown=3)
            halted = f"halted: {listed} (wave {name}); a revision that fixes it resumes"
        if pending and not waiting:
            listed = some([f"{s.environment} {s.detail}" for s in pending], shown=3)
            waiting = f"waiting for wave {name}: {listed}"
        for standing in members:
            if standing.since is not None and (latest is None or standing.since > latest):
                latest = standing.since
    if current < 0:
        current = max((n for n, wave in enumerate(waves) if wave.standings), default=0)
    paused = f"paused: {layout.pause_note}" if layout.paused else ""
    return ChangeProgress(
        key, layout.name, tuple(waves), current, halted, soak_until, paused=paused
    )


def pause_hold(release: DesiredRelease, layout: WaveLayout | None) -> Hold | None:
    """A pause that holds `release`: its Rollout's, else its winning assignment's."""
    if layout is not None and layout.paused:
        return Hold(Reason.PAUSED, f"paused: {layout.pause_note}")
    assignment = release.assignment
    if assignment.model.paused:
        note = pause_note(assignment.model.reason, assignment.where("paused"))
        return Hold(Reason.PAUSED, f"paused: {note}")
    return None


def hold_sends(
    sends: Mapping[str, list[Decision]],
    hold_of: Callable[[str, str], Hold | None],
    resending: Callable[[Decision], bool],
) -> dict[str, list[Decision]]:
    """The sends with every deploy that a hold keeps back turned into that hold's decision.

    `hold_of(environment, feature)` gives the hold, if any; uninstalls and resends of an
    instruction already sent (`resending`) always go: in-flight work finishes.
    """
    held: dict[str, list[Decision]] = {}
    for environment, decisions in sends.items():
        kept = []
        for decision in decisions:
            hold = None
            if decision.reason is Reason.DEPLOY and not resending(decision):
                hold = hold_of(environment, decision.feature)
            if hold is None:
                kept.append(decision)
            else:
                kept.append(
                    replace(
                        decision, reason=hold.reason, message=hold.message, attempt=0, due=hold.due
                    )
                )
        held[environment] = kept
    return held


def _clock(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M:%S UTC")
