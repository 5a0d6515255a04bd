"""The status store's statements, shared by SQLite and PostgreSQL: the writes each record
becomes, the reads, restart recovery and retention.

Statements use `?` placeholders and portable SQL only; a store runs them through an
`Execute` (`sql, parameters → rows`) that adapts the placeholder style and owns the
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from fasit.reconcile._rows import (
    DECISION_COLUMNS,
    DEPLOY_COLUMNS,
    Row,
    decision_of,
    deploy_of_row,
    deploy_row,
    inventory_of,
    releases_json,
)
from fasit.reconcile._write_queue import Write
from fasit.reconcile.deploys import Deploy
from fasit.reconcile.store import (
    DecisionRecord,
    InventoryRecord,
    LogRecord,
    Recovered,
    Retention,
)

__all__ = [
    "DECISIONS_OF_PAIR",
    "DEPLOYS_OF_PAIR",
    "FINISHED_DEPLOYS_MAX_ENVIRONMENTS",
    "INVENTORIES",
    "LOGS_OF_INSTRUCTION",
    "Execute",
    "Transaction",
    "apply_retention",
    "decision_write",
    "deploy_write",
    "finished_deploys_sql",
    "inventory_write",
    "log_writes",
    "recover",
    "schema_steps",
]

_SCHEMA_STEPS: tuple[str, ...] = (
    """
    CREATE TABLE decisions (
        id {key}, at TEXT NOT NULL, environment TEXT NOT NULL,
        feature TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL,
        version TEXT NOT NULL, release_hash TEXT NOT NULL, revision TEXT NOT NULL);
    CREATE INDEX decisions_by_pair ON decisions (environment, feature, id);
    CREATE TABLE deploys (
        id {key}, instruction_id TEXT NOT NULL, environment TEXT NOT NULL,
        feature TEXT NOT NULL, action TEXT NOT NULL, state TEXT NOT NULL,
        version TEXT NOT NULL, release_hash TEXT NOT NULL, revision TEXT NOT NULL,
        attempt INTEGER NOT NULL, namespace TEXT NOT NULL, session_id TEXT NOT NULL,
        error TEXT NOT NULL, timed_out INTEGER NOT NULL, sent_at TEXT NOT NULL,
        updated_at TEXT NOT NULL, deadline TEXT NOT NULL);
    CREATE INDEX deploys_by_pair ON deploys (environment, feature, id);
    CREATE INDEX deploys_by_instruction ON deploys (instruction_id, id);
    CREATE TABLE logs (
        id {key}, instruction_id TEXT NOT NULL, environment TEXT NOT NULL,
        at TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
    CREATE INDEX logs_by_instruction ON logs (instruction_id, id);
    CREATE TABLE inventories (
        environment TEXT PRIMARY KEY, at TEXT NOT NULL, releases TEXT NOT NULL,
        error TEXT NOT NULL);
    """,
    # 2: a deploy records the version it replaces; rows written before read as "" (unknown).
    "ALTER TABLE deploys ADD COLUMN from_version TEXT NOT NULL DEFAULT ''",
)


def schema_steps(key: str) -> tuple[str, ...]:
    """The schema, step by step (step n takes version n-1 to n); `key` is the database's
    auto-numbered primary key column (`INTEGER PRIMARY KEY`, `BIGSERIAL PRIMARY KEY`)."""
    return tuple(step.replace("{key}", key) for step in _SCHEMA_STEPS)


Execute = Callable[[str, tuple[object, ...]], list[Row]]
"""Runs one statement and returns its rows (none for a write)."""


class Transaction(Protocol):
    """One open transaction of a store's writer."""

    def execute(self, sql: str, parameters: tuple[object, ...]) -> list[Row]: ...

    def execute_many(self, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
        """The same statement for each parameter row, in as few round trips as it can."""
        ...


LOG_COLUMNS = "instruction_id, environment, at, kind, text"
INVENTORY_COLUMNS = "environment, at, releases, error"

DECISIONS_OF_PAIR = (
    f"SELECT {DECISION_COLUMNS} FROM decisions WHERE environment = ? AND feature = ? "
    "ORDER BY id DESC LIMIT ?"
)
DEPLOYS_OF_PAIR = (
    f"SELECT {DEPLOY_COLUMNS} FROM deploys WHERE environment = ? AND feature = ? "
    "ORDER BY id DESC LIMIT ?"
)
FINISHED_DEPLOYS_MAX_ENVIRONMENTS = 1_000
"""Environments one `finished_deploys_sql` statement names at most (a placeholder each)."""


def finished_deploys_sql(environments: int) -> str:
    """The install rows that finished (deployed or failed) of one feature in `environments`
    environments, newest first: parameters (feature, *environments, limit). Each environment is
    a lookup in the pair index, so the query costs the rows it finds, not the table."""
    if not 1 <= environments <= FINISHED_DEPLOYS_MAX_ENVIRONMENTS:
        raise ValueError(f"1..{FINISHED_DEPLOYS_MAX_ENVIRONMENTS} environments, got {environments}")
    names = ", ".join("?" for _ in range(environments))
    return (
        f"SELECT {DEPLOY_COLUMNS} FROM deploys WHERE feature = ? AND environment IN ({names}) "
        "AND action = 'install' AND state IN ('deployed', 'failed') ORDER BY id DESC LIMIT ?"
    )


LOGS_OF_INSTRUCTION = f"SELECT {LOG_COLUMNS} FROM logs WHERE instruction_id = ? ORDER BY id LIMIT ?"
INVENTORIES = f"SELECT {INVENTORY_COLUMNS} FROM inventories"


def _insert(table: str, columns: str) -> str:
    placeholders = ", ".join("?" for _ in columns.split(","))
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"


def decision_write(record: DecisionRecord) -> Write:
    return Write(
        "decisions",
        _insert("decisions", DECISION_COLUMNS),
        (
            record.environment,
            record.feature,
            record.reason.value,
            record.message,
            record.version,
            record.release_hash,
            record.revision,
            record.at.isoformat(),
        ),
        (record.environment, record.feature),
    )


def deploy_write(deploy: Deploy) -> Write:
    return Write(
        "deploys",
        _insert("deploys", DEPLOY_COLUMNS),
        deploy_row(deploy),
        (deploy.environment, deploy.feature),
    )


def log_writes(records: Sequence[LogRecord]) -> list[Write]:
    sql = _insert("logs", LOG_COLUMNS)
    return [
        Write(
            "logs",
            sql,
            (
                record.instruction_id,
                record.environment,
                record.line.at.isoformat(),
                record.line.kind.value,
                record.line.text,
            ),
            instruction=record.instruction_id,
        )
        for record in records
    ]


def inventory_write(record: InventoryRecord) -> Write:
    # One row per environment, replaced: the same upsert in SQLite (3.24+) and PostgreSQL.
    return Write(
        "inventories",
        f"{_insert('inventories', INVENTORY_COLUMNS)} ON CONFLICT (environment) DO UPDATE SET "
        "at = excluded.at, releases = excluded.releases, error = excluded.error",
        (record.environment, record.at.isoformat(), releases_json(record.releases), record.error),
    )


def recover(execute: Execute, environments: Sequence[str] | None = None) -> Recovered:
    """The latest decision per pair, the latest row of each instruction, every inventory: of
    the whole fleet, or of `environments` only (a replica taking them over)."""
    where = ""
    parameters: tuple[object, ...] = ()
    if environments is not None:
        if not environments:
            return Recovered()
        where = f"WHERE environment IN ({', '.join('?' for _ in environments)}) "
        parameters = tuple(environments)
    decisions = {
        (str(row[0]), str(row[1])): decision_of(row)
        for row in execute(
            f"SELECT {DECISION_COLUMNS} FROM decisions WHERE id IN "
            f"(SELECT MAX(id) FROM decisions {where}GROUP BY environment, feature)",
            parameters,
        )
    }
    deploys = [
        deploy_of_row(row)
        for row in execute(
            f"SELECT {DEPLOY_COLUMNS} FROM deploys WHERE id IN "
            f"(SELECT MAX(id) FROM deploys {where}GROUP BY instruction_id) ORDER BY id",
            parameters,
        )
    ]
    inventories = {
        str(row[0]): inventory_of(row)
        for row in execute(f"{INVENTORIES} {where}".strip(), parameters)
    }
    return Recovered(decisions, deploys, inventories)


def apply_retention(
    execute: Execute,
    keep: Retention,
    pairs: Iterable[tuple[str, str]],
    instructions: Iterable[str],
    now: datetime,
) -> None:
    """Trim the history of `pairs` and the lines of `instructions` that grew, and delete the
    inventories nobody reported for `keep.inventory_age` (in the caller's transaction)."""
    for instruction_id in instructions:
        _trim_lines(execute, instruction_id, keep.lines_per_instruction)
    stale = now - keep.inventory_age
    execute("DELETE FROM inventories WHERE at < ?", (stale.isoformat(),))
    for environment, feature in pairs:
        _trim_pair(execute, environment, feature, keep)


def _trim_pair(execute: Execute, environment: str, feature: str, keep: Retention) -> None:
    execute(
        "DELETE FROM decisions WHERE environment = ? AND feature = ? AND id < "
        "(SELECT id FROM decisions WHERE environment = ? AND feature = ? "
        "ORDER BY id DESC LIMIT 1 OFFSET ?)",
        (environment, feature, environment, feature, keep.decisions - 1),
    )
    newest_first = execute(
        "SELECT instruction_id FROM deploys WHERE environment = ? AND feature = ? "
        "GROUP BY instruction_id ORDER BY MAX(id) DESC",
        (environment, feature),
    )
    for (instruction_id,) in newest_first[keep.instructions :]:
        for table in ("deploys", "logs"):
            execute(f"DELETE FROM {table} WHERE instruction_id = ?", (instruction_id,))


def _trim_lines(execute: Execute, instruction_id: str, keep: int) -> None:
    """An instruction's newest `keep` lines; none once its deploy rows are gone (lines that
    arrived after retention dropped their instruction)."""
    known = execute("SELECT 1 FROM deploys WHERE instruction_id = ? LIMIT 1", (instruction_id,))
    if not known:
        execute("DELETE FROM logs WHERE instruction_id = ?", (instruction_id,))
        return
    execute(
        "DELETE FROM logs WHERE instruction_id = ? AND id < "
        "(SELECT id FROM logs WHERE instruction_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
        (instruction_id, instruction_id, keep - 1),
    )
