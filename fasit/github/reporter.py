"""Commit statuses for the state repository's revisions: pending while a revision's changes
roll out, success when they are all DEPLOYED, failure (naming the first failures) when one
failed or is halted; a revision refused for blocking problems is a failure too.

`fasit serve` wires it: passes and new snapshots `wake()` it (that only sets an event, so a
reconcile pass never waits on GitHub); `run()` looks at most every `gap` seconds, judges each
tracked revision with the progress API's own function, and posts a status only when the state
changes, one at a time on a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict

from fasit.errors import InvalidInput
from fasit.github.repository import GitHubRepository
from fasit.github.statuses import MAX_DESCRIPTION, CommitState, CommitStatus, StatusClient
from fasit.web import Progress, ReadSide, ReleaseIndex, ReleaseState, Verdict, progress_of

__all__ = ["CommitStatuses", "describe"]

logger = logging.getLogger(__name__)

_STATES = {
    Verdict.PENDING: CommitState.PENDING,
    Verdict.DONE: CommitState.SUCCESS,
    Verdict.FAILED: CommitState.FAILURE,
}


def describe(progress: Progress, target_url: str = "") -> CommitStatus:
    """The commit status of a revision's progress, its description cut to GitHub's limit.

    Pending says how many releases roll out (it is sent once, not at every step); success and
    failure say what the progress says ("2 of 2 done", "1 failed: nav/dev web FAILED (…)").
    """
    state = _STATES[progress.verdict]
    if state is CommitState.PENDING:
        counted = sum(
            release.state in (ReleaseState.DONE, ReleaseState.PENDING, ReleaseState.FAILED)
            for release in progress.releases
        )
        text = f"rolling out {counted} release(s)" if counted else progress.summary
    elif state is CommitState.SUCCESS:
        text = f"deployed: {progress.summary}"
    else:
        text = progress.summary
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 1] + "…"
    return CommitStatus(state, text, target_url)


class CommitStatuses:
    """Follows the revisions the snapshot store records and sets their commit statuses."""

    def __init__(
        self,
        read: ReadSide,
        repository: GitHubRepository,
        client: StatusClient,
        external_url: str = "",
        *,
        interval: float = 10.0,
        gap: float = 1.0,
        tracked: int = 10,
    ) -> None:
        self._read = read
        self._repository = repository
        self._client = client
        self._external_url = external_url.rstrip("/")
        self._interval = interval
        self._gap = gap
        self._most = tracked
        self._index = ReleaseIndex(read.fleet)
        self._wake = asyncio.Event()
        self._known: set[str] = set()
        self._tracked: OrderedDict[str, CommitState | None] = OrderedDict()
        """Revision → the last state sent for it (None: none yet), oldest first."""

    def wake(self) -> None:
        """Look again soon (a pass ran, a revision was offered)."""
        self._wake.set()

    async def run(self) -> None:
        """Look and post until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._wake.wait()
            self._wake.clear()
            for revision, status in self.due():
                await asyncio.to_thread(self._client.post, self._repository, revision, status)
                # Recorded even when GitHub refused it: a refusal is logged once, not retried
                # at every look; the next change of state is sent again.
                self._tracked[revision] = status.state
            await asyncio.sleep(self._gap)

    def due(self) -> list[tuple[str, CommitStatus]]:
        """The statuses whose state changed since they were last sent, oldest revision first."""
        self._track_new()
        store = self._read.store
        served = "" if store.current is None else store.current.revision.id
        due = []
        for revision, sent in list(self._tracked.items()):
            try:
                progress = progress_of(self._read, revision, index=self._index)
            except InvalidInput:  # no longer kept: nothing more to say about it
                del self._tracked[revision]
                continue
            status = describe(progress, self._target(revision))
            if status.state is not sent:
                due.append((revision, status))
            elif status.state is not CommitState.PENDING and revision != served:
                del self._tracked[revision]  # final, and no longer served: it will not move
        return due

    def _track_new(self) -> None:
        history = [record.revision.id for record in self._read.store.history]
        for revision in reversed(history):  # oldest first, so the newest are kept
            if revision not in self._known:
                self._tracked[revision] = None
                self._tracked.move_to_end(revision)
        self._known = set(history)
        while len(self._tracked) > self._most:
            self._tracked.popitem(last=False)

    def _target(self, revision: str) -> str:
        if not self._external_url:
            return ""
        return f"{self._external_url}/revisions#revision-{revision}"
