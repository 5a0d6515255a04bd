"""How far a revision's rollout has come: done, failed (which releases, why) or pending (which).

Pure: given the revision history, the plans' changes (newest first), the release views and the
revision the views were decided over, it judges every release the revision changed against the
revision served before it. `GET /api/v1/revisions/{id}/progress` answers with it; `fasit wait`
and the GitHub commit statuses follow that. Reads values only; never fetches or writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from fasit.errors import InvalidInput
from fasit.plan import ChangeKind, PlanChanges
from fasit.reconcile import Reason, ReleaseView, Status
from fasit.state import Outcome, Revision, RevisionRecord
from fasit.web.query import NotFound

__all__ = [
    "FAILING_STATUSES",
    "IGNORED_STATUSES",
    "AmbiguousRevision",
    "Progress",
    "ReleaseProgress",
    "ReleaseState",
    "Verdict",
    "find_revision",
    "revision_progress",
]

IGNORED_STATUSES = frozenset({Status.DISABLED, Status.KIND_MISMATCH})
"""Releases that deploy nothing (a disabled assignment, `reconcile: false`, a kind mismatch)."""

FAILING_STATUSES = frozenset(
    {
        Status.FAILED,
        Status.CHART_UNAVAILABLE,
        Status.RENDER_ERROR,
        Status.MISSING_CONFIG,
        Status.MISSING_DEPENDENCY,
        Status.VALUES_INVALID,
        Status.PRUNE_REFUSED,
    }
)
"""Statuses that fail a rollout: the release stays there until someone changes something."""


class AmbiguousRevision(InvalidInput, LookupError):
    """A revision prefix that more than one recent revision starts with (answered 409)."""


class Verdict(StrEnum):
    """Where a revision's rollout stands."""

    DONE = "done"
    """Every release it changed is deployed (or uninstalled), or deploys nothing."""
    FAILED = "failed"
    """A release it changed failed, is halted or in a problem status; or it was never served."""
    PENDING = "pending"


class ReleaseState(StrEnum):
    """Where one changed release stands in its revision's rollout."""

    DONE = "done"
    FAILED = "failed"
    PENDING = "pending"
    IGNORED = "ignored"
    """It deploys nothing (DISABLED, KIND-MISMATCH), or it is an orphan left running."""
    SUPERSEDED = "superseded"
    """A newer revision changed it again: its rollout is that revision's."""


@dataclass(frozen=True, slots=True)
class ReleaseProgress:
    """One (environment, feature) the revision changed, with its status now ("" once gone)."""

    environment: str
    feature: str
    change: ChangeKind
    state: ReleaseState
    status: str
    message: str


@dataclass(frozen=True, slots=True)
class Progress:
    """A revision's rollout: the verdict, one sentence saying why, and each changed release."""

    revision: Revision
    verdict: Verdict
    summary: str
    releases: tuple[ReleaseProgress, ...] = ()

    def having(self, state: ReleaseState) -> list[ReleaseProgress]:
        return [release for release in self.releases if release.state is state]


def find_revision(
    prefix: str, history: Sequence[RevisionRecord], plans: Sequence[PlanChanges]
) -> str:
    """The full id of the one recent revision whose id starts with `prefix` (`"ea93"` finds
    `ea934ebf…` when no other kept revision starts so). Raises NotFound (no recent revision
    has it) or AmbiguousRevision (several do)."""
    known = {record.revision.id for record in history} | {entry.revision.id for entry in plans}
    matching = sorted(id_ for id_ in known if prefix and id_.startswith(prefix))
    if not matching:
        raise NotFound(f"no recent revision starts with {prefix!r} ({len(known)} kept)")
    if len(matching) > 1:
        shown = ", ".join(id_[:12] for id_ in matching[:5])
        raise AmbiguousRevision(
            f"{prefix!r} starts {len(matching)} recent revisions ({shown}): give more of it"
        )
    return matching[0]


def revision_progress(
    revision: str,
    *,
    history: Sequence[RevisionRecord],
    plans: Sequence[PlanChanges],
    releases: Mapping[tuple[str, str], ReleaseView],
    served: str,
    decided: str,
    feature: str | None = None,
) -> Progress:
    """The rollout of `revision` (a full id): `plans` and `history` newest first, `served` the
    revision served now, `decided` the one the release views were decided over; with
    `feature`, only that feature's releases count.

    Raises NotFound when neither the history nor the plans keep the revision any more.
    """
    records = [record for record in history if record.revision.id == revision]
    start = next((i for i, entry in enumerate(plans) if entry.revision.id == revision), None)
    if start is None:
        return _unplanned(revision, records, served)
    end = start
    while end < len(plans) and plans[end].revision.id == revision:
        end += 1  # a re-plan of the same revision (a moved chart tag) adds to its changes
    shown = plans[start].revision
    if decided not in {entry.revision.id for entry in plans[:end]}:
        return Progress(shown, Verdict.PENDING, "the reconciler has not decided over it yet")
    superseded = {pair for entry in plans[:start] for pair in entry.affected}
    changed: dict[tuple[str, str], ChangeKind] = {}
    for entry in reversed(plans[start:end]):
        changed.update(entry.affected)
    judged = tuple(
        _judge(pair, kind, releases.get(pair), pair in superseded)
        for pair, kind in sorted(changed.items())
        if feature is None or pair[1] == feature
    )
    return Progress(shown, *_verdict(judged))


def _unplanned(revision: str, records: list[RevisionRecord], served: str) -> Progress:
    if not records:
        raise NotFound(f"revision {revision[:12]} has no plan kept any more")
    newest = records[0]
    if all(record.outcome is Outcome.FAILED for record in records):
        summary = f"never served: {newest.errors} blocking problem(s)"
        if newest.problems:
            first = newest.problems[0]
            where = ":".join(
                str(part) for part in (first.file, first.line, first.column) if part is not None
            )
            summary += f", first {where}: {first.message}" if where else f": {first.message}"
        return Progress(newest.revision, Verdict.FAILED, summary)
    if revision == served:
        return Progress(newest.revision, Verdict.PENDING, "served; being planned")
    raise NotFound(f"revision {revision[:12]} has no plan kept any more")


def _judge(
    pair: tuple[str, str], kind: ChangeKind, view: ReleaseView | None, superseded: bool
) -> ReleaseProgress:
    status = "" if view is None else view.status.value
    message = "" if view is None else view.message

    def judged(state: ReleaseState, why: str = message) -> ReleaseProgress:
        return ReleaseProgress(pair[0], pair[1], kind, state, status, why)

    if superseded:
        return judged(ReleaseState.SUPERSEDED, "a newer revision changed it again")
    if kind is ChangeKind.ORPHAN:
        return judged(ReleaseState.IGNORED, "left running, unmanaged")
    if view is None:
        if kind is ChangeKind.UNINSTALL:
            return judged(ReleaseState.DONE, "uninstalled")
        return judged(ReleaseState.PENDING, "not decided yet")
    if view.status in IGNORED_STATUSES:
        return judged(ReleaseState.IGNORED)
    if view.status in FAILING_STATUSES or view.reason is Reason.HALTED:
        return judged(ReleaseState.FAILED)
    if view.status is Status.DEPLOYED and kind is not ChangeKind.UNINSTALL:
        return judged(ReleaseState.DONE)
    return judged(ReleaseState.PENDING)


def _verdict(
    judged: tuple[ReleaseProgress, ...],
) -> tuple[Verdict, str, tuple[ReleaseProgress, ...]]:
    failed = [release for release in judged if release.state is ReleaseState.FAILED]
    pending = [release for release in judged if release.state is ReleaseState.PENDING]
    done = sum(release.state is ReleaseState.DONE for release in judged)
    counted = done + len(failed) + len(pending)
    if failed:
        return Verdict.FAILED, f"{len(failed)} failed: " + _named(failed), judged
    if pending:
        summary = f"{done} of {counted} done; waiting for " + _named(pending)
        return Verdict.PENDING, summary, judged
    if not counted:
        return Verdict.DONE, "nothing to deploy", judged
    return Verdict.DONE, f"{done} of {counted} done", judged


def _named(releases: list[ReleaseProgress], first: int = 3) -> str:
    """`nav/dev aivenator FAILED (why), …` for the first few, then how many more."""
    named = [
        f"{r.environment} {r.feature} {r.status or r.state.value}"
        + (f" ({r.message})" if r.message and r.state is ReleaseState.FAILED else "")
        for r in releases[:first]
    ]
    more = len(releases) - first
    return "; ".join(named) + (f"; and {more} more" if more > 0 else "")
