"""Offering a built snapshot to the store, and saying what became of it."""

from __future__ import annotations

import logging

from fasit.state import RevisionRecord, Snapshot, SnapshotStore

__all__ = ["publish"]


def publish(
    store: SnapshotStore,
    snapshot: Snapshot,
    source: str,
    log: logging.Logger,
    *,
    cached: bool = False,
) -> RevisionRecord:
    """Offer `snapshot` and log the outcome: one line per revision, served or failed.

    Offering clears the source's error unless `cached` (see `SnapshotStore.offer`).
    """
    record = store.offer(snapshot, cached=cached)
    log.info(
        "%s: revision %s %s (%d errors, %d warnings)",
        source,
        snapshot.revision.short_id,
        record.outcome,
        record.errors,
        record.warnings,
    )
    return record
