"""The observer: the one place events are made, from what `fasit serve` already has.

`fasit serve` subscribes it to every reconcile pass (`observe_pass`) and every revision the
snapshot store is offered (`observe_offer`). A pass's facts (failed releases, open circuits,
agents) are gathered from the reconciler and compared with what was announced before
(events.derive_events); the events go to `publish` (the dispatcher), which never waits.
Nothing else in the controller knows notifications exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from fasit.notify.events import (
    Event,
    Facts,
    Links,
    Notified,
    ReleaseFact,
    derive_events,
    revision_event,
)
from fasit.reconcile import PassReport, Reconciler, Status
from fasit.state import RevisionRecord, Snapshot

__all__ = ["Observer"]

logger = logging.getLogger(__name__)


class Observer:
    """Turns passes and offered revisions into events for `publish`; `close()` ends it."""

    def __init__(
        self,
        reconciler: Reconciler,
        publish: Callable[[Event], None],
        links: Links,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._reconciler = reconciler
        self._publish = publish
        self._links = links
        self._clock = clock
        self._notified = Notified()
        self._last_revision: tuple[str, str] | None = None
        self._closed = False

    def close(self) -> None:
        """Make no more events: at shutdown, agents leaving are not news."""
        self._closed = True

    def observe_pass(self, report: PassReport) -> None:
        if self._closed:
            return
        facts = Facts(
            report.revision,
            self._release_facts(),
            self._reconciler.circuits(),
            self._agents(),
        )
        events, self._notified = derive_events(self._notified, facts, self._clock(), self._links)
        for event in events:
            self._publish(event)

    def observe_offer(self, snapshot: Snapshot, record: RevisionRecord) -> None:
        """A revision served or refused; the same outcome of the same revision once in a row."""
        if self._closed:
            return
        key = (record.revision.id, record.outcome.value)
        if key == self._last_revision:
            return
        self._last_revision = key
        self._publish(revision_event(record, self._links))

    def _release_facts(self) -> dict[tuple[str, str], ReleaseFact]:
        """The FAILED releases and those announced as failing, looked up one by one.

        Only pairs whose latest deploy failed can show FAILED, so the walk is over those and
        the announced ones, never over the fleet's views.
        """
        failed = self._reconciler.runtime.failed
        facts: dict[tuple[str, str], ReleaseFact] = {}
        for pair in failed.keys() | self._notified.failing.keys():
            view = self._reconciler.release(*pair)
            if view is None:
                continue
            if view.status is not Status.FAILED and pair not in self._notified.failing:
                continue
            deploy = failed.get(pair) if view.status is Status.FAILED else None
            facts[pair] = ReleaseFact(
                view.environment,
                view.feature,
                view.status,
                view.desired_version,
                "" if deploy is None else deploy.release_hash,
                0 if deploy is None else deploy.attempt,
                "" if deploy is None else deploy.error,
                "" if deploy is None else deploy.revision,
            )
        return facts

    def _agents(self) -> dict[str, bool]:
        return {
            name: state.agent.connected
            for name, state in self._reconciler.runtime.environments.items()
            if state.agent is not None
        }
