"""Offering a built snapshot to the store, and saying what became of it."""

from __future__ import annotations

import logging

from fasit.state import RevisionRecord, Snapshot, SnapshotStore

__all__ = ["publish"]


def publish(
    store: SnapshotStore, snapshot: Snapshot, source: str, log: logging.Logger
) -> RevisionRecord:
    """Offer `snapshot` and log the outcome: one line per revision, served or failed."""
    record = store.offer(snapshot)
    log.info(
        "%s: revision %s %s (%d errors, %d warnings)",
        source,
        snapshot.revision.short_id,
        record.outcome,
        record.errors,
        record.warnings,
    )
    return record
