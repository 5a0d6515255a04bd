"""The status store in PostgreSQL, for replicas that share a fleet (`--status-db postgresql://…`).

The queue, batches, reads and retention are shared with SQLite (`_sql_store.py`); here is what
PostgreSQL adds: a connection pool (one writer, `readers` readers, each connection checked
before use so a restarted server is reconnected to), and migrations that several replicas may
run at once: each takes a transaction-scoped advisory lock first, so one migrates and the
others find the schema current. The version lives in `fasit_schema`; a database newer than this
code knows is refused. Passwords belong in libpq's own places (`PGPASSFILE`, `PGPASSWORD`);
one written in the URL works, and is masked wherever the URL is shown.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Final
from urllib.parse import urlsplit

import psycopg
import psycopg_pool

from fasit.errors import StatusUnavailable
from fasit.reconcile._rows import Row
from fasit.reconcile._sql_store import SqlStatusStore
from fasit.reconcile._store_sql import Transaction, schema_steps
from fasit.reconcile._write_queue import StoreError
from fasit.reconcile.store import Retention

__all__ = ["PostgresStatusStore", "is_postgres_url", "shown_postgres_url"]

logger = logging.getLogger(__name__)

_SCHEMES: Final = ("postgresql://", "postgres://")
# Any constant names the lock; this one spells "fasit" in ASCII.
_MIGRATION_LOCK: Final = 0x6661736974
_CONNECT_TIMEOUT: Final = 10
_POOL_TIMEOUT: Final = 5.0

_MIGRATIONS: Final = schema_steps("BIGSERIAL PRIMARY KEY")


def is_postgres_url(value: str) -> bool:
    return value.startswith(_SCHEMES)


def shown_postgres_url(url: str) -> str:
    """`url` with any password (user-info or `password=` parameter) replaced by `***`."""
    parts = urlsplit(url)
    shown = url
    if parts.password is not None:
        shown = shown.replace(f":{parts.password}@", ":***@", 1)
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", shown)


class PostgresStatusStore(SqlStatusStore):
    """`StatusStore` over one PostgreSQL database, shareable by several `fasit serve`."""

    def __init__(
        self,
        url: str,
        retention: Retention | None = None,
        batch_size: int = 2_000,
        retention_interval: float = 60.0,
        max_queued: int = 100_000,
        readers: int = 4,
    ) -> None:
        super().__init__(retention, batch_size, retention_interval, max_queued, readers)
        self.url = url
        self.shown_url = shown_postgres_url(url)
        self._pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=readers + 1,
            open=False,
            timeout=_POOL_TIMEOUT,
            check=psycopg_pool.ConnectionPool.check_connection,
            kwargs={"connect_timeout": _CONNECT_TIMEOUT, "application_name": "fasit"},
            name="fasit-status-store",
        )

    def _migrate(self) -> None:
        try:
            # A direct connection first: a clear error now rather than a pool retrying forever.
            with psycopg.connect(
                self.url, connect_timeout=_CONNECT_TIMEOUT, application_name="fasit"
            ) as connection:
                self._migrate_on(connection)
            self._pool.open(wait=True, timeout=_CONNECT_TIMEOUT)
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot use the status store {self.shown_url}: {_first_line(exc)}"
            ) from exc
        except psycopg_pool.PoolTimeout as exc:
            raise StoreError(f"cannot connect to the status store {self.shown_url}: {exc}") from exc

    def _migrate_on(self, connection: psycopg.Connection[tuple[object, ...]]) -> None:
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            connection.execute("CREATE TABLE IF NOT EXISTS fasit_schema (version INTEGER NOT NULL)")
            row = connection.execute("SELECT version FROM fasit_schema").fetchone()
            if row is None:
                connection.execute("INSERT INTO fasit_schema (version) VALUES (0)")
            version = 0 if row is None else int(str(row[0]))
            if version > len(_MIGRATIONS):
                raise StoreError(
                    f"{self.shown_url} has status schema version {version}, newer than this "
                    f"fasit knows ({len(_MIGRATIONS)}): upgrade fasit or point --status-db "
                    "elsewhere"
                )
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                connection.execute(script)
                connection.execute("UPDATE fasit_schema SET version = %s", (number,))
                logger.info(
                    "status store migrated", extra={"database": self.shown_url, "version": number}
                )

    @contextmanager
    def _transaction(self) -> Iterator[Transaction]:
        # The pool's block commits on a clean exit and rolls back on an exception.
        with self._pool.connection() as connection:
            yield _PostgresTransaction(connection.cursor())

    def _read_rows(self, sql: str, parameters: tuple[object, ...]) -> list[Row]:
        try:
            with self._pool.connection() as connection:
                return connection.execute(_adapted(sql), parameters).fetchall()
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise StatusUnavailable(
                f"cannot read the status store {self.shown_url}: {_first_line(exc)}"
            ) from exc

    def _release(self) -> None:
        self._pool.close()


class _PostgresTransaction:
    def __init__(self, cursor: psycopg.Cursor[tuple[object, ...]]) -> None:
        self._cursor = cursor

    def execute(self, sql: str, parameters: tuple[object, ...]) -> list[Row]:
        self._cursor.execute(_adapted(sql), parameters)
        return self._cursor.fetchall() if self._cursor.description is not None else []

    def execute_many(self, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
        # psycopg sends them in pipeline mode: one round trip for the run, not one per row.
        self._cursor.executemany(_adapted(sql), rows)


@cache
def _adapted(sql: str) -> str:
    """psycopg's placeholders; the shared statements hold no other `?` and no `%`."""
    return sql.replace("?", "%s")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
