"""What the SQLite status store keeps (`Retention`), applied to what grew since last time:
each pair's decisions and instructions, each instruction's log lines, and inventories."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from fasit.reconcile.store import Retention

__all__ = ["apply_retention"]


def apply_retention(
    connection: sqlite3.Connection,
    keep: Retention,
    pairs: Iterable[tuple[str, str]],
    instructions: Iterable[str],
    now: datetime,
) -> None:
    """Trim the history of `pairs` and the lines of `instructions` that grew, and delete the
    inventories nobody reported for `keep.inventory_age`; in one transaction."""
    with connection:
        for instruction_id in instructions:
            _trim_lines(connection, instruction_id, keep.lines_per_instruction)
        stale = now - keep.inventory_age
        connection.execute("DELETE FROM inventories WHERE at < ?", (stale.isoformat(),))
        for environment, feature in pairs:
            _trim_pair(connection, environment, feature, keep)


def _trim_pair(
    connection: sqlite3.Connection, environment: str, feature: str, keep: Retention
) -> None:
    connection.execute(
        "DELETE FROM decisions WHERE environment = ? AND feature = ? AND id < "
        "(SELECT id FROM decisions WHERE environment = ? AND feature = ? "
        "ORDER BY id DESC LIMIT 1 OFFSET ?)",
        (environment, feature, environment, feature, keep.decisions - 1),
    )
    dropped = [
        row[0]
        for row in connection.execute(
            "SELECT instruction_id FROM deploys WHERE environment = ? AND feature = ? "
            "GROUP BY instruction_id ORDER BY MAX(id) DESC LIMIT -1 OFFSET ?",
            (environment, feature, keep.instructions),
        )
    ]
    for instruction_id in dropped:
        for table in ("deploys", "logs"):
            connection.execute(f"DELETE FROM {table} WHERE instruction_id = ?", (instruction_id,))


def _trim_lines(connection: sqlite3.Connection, instruction_id: str, keep: int) -> None:
    """An instruction's newest `keep` lines; none once its deploy rows are gone (lines that
    arrived after retention dropped their instruction)."""
    known = connection.execute(
        "SELECT 1 FROM deploys WHERE instruction_id = ? LIMIT 1", (instruction_id,)
    ).fetchone()
    if known is None:
        connection.execute("DELETE FROM logs WHERE instruction_id = ?", (instruction_id,))
        return
    connection.execute(
        "DELETE FROM logs WHERE instruction_id = ? AND id < "
        "(SELECT id FROM logs WHERE instruction_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
        (instruction_id, instruction_id, keep - 1),
    )
