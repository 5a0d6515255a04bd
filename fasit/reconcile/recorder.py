"""What the reconciler writes down: decisions that changed, deploys, inventories and agent log
lines, into the status store and the log.

`Reconciler` hands `Recorder` each pass's decisions and every deploy and agent report it
takes; the read side's views ask it for the decision last recorded per release. It decides
nothing, sends nothing and never reads the store (history taken back arrives as `Recovered`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from fasit.agents import AgentConnected, InventoryReported, ProgressReported
from fasit.reconcile.decisions import Reason
from fasit.reconcile.deploys import Deploy
from fasit.reconcile.fleet import PassResult
from fasit.reconcile.store import DecisionRecord, InventoryRecord, LogRecord, StatusStore

__all__ = ["Recorder"]


class Recorder:
    """The reconciler's writes: a decision row only when a release's decision changed, every
    deploy row (to its listeners too), inventories and log lines; one log line each."""

    def __init__(self, store: StatusStore, log: logging.Logger) -> None:
        # The reconciler's logger, not this module's: operators select decisions and deploys
        # by the logger name `fasit.reconcile.reconciler` (JSON logs).
        self._store = store
        self._log = log
        self._recorded: dict[tuple[str, str], DecisionRecord] = {}
        self._deploy_listeners: list[Callable[[Deploy], None]] = []

    def on_deploy(self, listener: Callable[[Deploy], None]) -> None:
        self._deploy_listeners.append(listener)

    def last(self, pair: tuple[str, str]) -> DecisionRecord | None:
        """The decision last recorded for (environment, feature); None if none was."""
        return self._recorded.get(pair)

    def take_back(self, decisions: Mapping[tuple[str, str], DecisionRecord]) -> None:
        """Decisions recorded before (by a previous controller): the same decision again
        writes no row."""
        self._recorded.update(decisions)

    def forget(self, environments: Collection[str]) -> None:
        """Environments given up: their next owner records them."""
        if environments:
            self._recorded = {
                pair: r for pair, r in self._recorded.items() if pair[0] not in environments
            }

    def decisions(self, result: PassResult, revision: str, at: datetime) -> Counter[Reason]:
        """Record the pass's decisions that changed; how many, by reason."""
        recorded: Counter[Reason] = Counter()
        # One log line per environment, reason and message: an agent offline is one line
        # naming its features, not one line per release.
        lines: dict[tuple[str, Reason, str], list[str]] = {}
        for decisions in result.decisions.values():
            for decision in decisions:
                pair = (decision.environment, decision.feature)
                last = self._recorded.get(pair)
                if last is not None and last.record == decision.record:
                    continue
                record = DecisionRecord.of(decision, revision, at)
                self._recorded[pair] = record
                self._store.record_decision(record)
                recorded[decision.reason] += 1
                key = (decision.environment, decision.reason, decision.message)
                lines.setdefault(key, []).append(decision.feature)
        for (environment, reason, message), features in lines.items():
            self._log.info(
                "decision %s: %s",
                reason.value,
                message,
                extra={
                    "environment": environment,
                    "feature": ",".join(features),
                    "revision": revision,
                    "reason": reason.value,
                },
            )
        return recorded

    def deploys(self, deploys: list[Deploy]) -> None:
        for deploy in deploys:
            self.deploy(deploy)

    def deploy(self, deploy: Deploy) -> None:
        self._store.record_deploy(deploy)
        for listener in self._deploy_listeners:
            listener(deploy)
        self._log.info(
            "deploy %s: %s",
            deploy.state.value,
            deploy.summary,
            extra={
                "environment": deploy.environment,
                "feature": deploy.feature,
                "revision": deploy.revision,
                "instruction": deploy.instruction_id,
                "attempt": deploy.attempt,
                "error": deploy.error,
            },
        )

    def inventory(self, event: AgentConnected | InventoryReported) -> None:
        self._store.record_inventory(
            InventoryRecord(event.environment, event.at, event.releases, event.inventory_error)
        )

    def logs(self, event: ProgressReported) -> None:
        self._store.record_logs(
            [LogRecord(event.instruction_id, event.environment, line) for line in event.lines]
        )
