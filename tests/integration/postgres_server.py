"""A throwaway PostgreSQL from Debian's `postgresql` package, on 127.0.0.1, for the tests.

`initdb` into a fresh temporary directory (trust authentication, no fsync: the data is
thrown away), then `postgres` listening on a free loopback port and a socket in that
directory. PostgreSQL refuses to run as root: when the tests do, both run as the `postgres`
user the Debian package creates (through `setpriv`), in a directory that user owns.
Each test gets a database of its own (`database()`), created from template0.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Final

import psycopg

from tests.integration.processes import (
    LOOPBACK,
    POLL_INTERVAL,
    READY_TIMEOUT,
    ProcessServer,
    ServerFailed,
    ServerProcess,
    free_port,
)

SUPERUSER: Final = "fasit"
_UNPRIVILEGED: Final = "postgres"
_numbers = itertools.count(1)


def _server_binaries() -> Path:
    """The newest major version's bin/ (Debian keeps them off PATH)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4])
    )
    if not found:
        raise ServerFailed("PostgreSQL is not installed (make test installs Debian's postgresql)")
    return Path(found[-1]).parent


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise ServerFailed("running as root needs setpriv (util-linux) to start PostgreSQL")
    return [setpriv, f"--reuid={_UNPRIVILEGED}", f"--regid={_UNPRIVILEGED}", "--init-groups", "--"]


class PostgresServer(ProcessServer):
    """`postgres` on a free loopback port, its cluster in a directory removed by `stop`."""

    def __init__(self) -> None:
        self.bin = _server_binaries()
        self.port = free_port()
        # Not under pytest's tmp_path: its parents are private to root, and the server runs as
        # another user when the tests run as root.
        self.root = Path(tempfile.mkdtemp(prefix="fasit-postgres-"))
        self.data = self.root / "data"
        if os.geteuid() == 0:
            user = pwd.getpwnam(_UNPRIVILEGED)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        prefix = self._prefix = _as_server_user()
        environment = self._environment = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
        initdb = subprocess.run(
            [
                *prefix,
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if initdb.returncode != 0:
            shutil.rmtree(self.root, ignore_errors=True)
            raise ServerFailed(f"initdb failed: {initdb.stderr.strip()}")
        self._process = ServerProcess(
            "postgres",
            [
                *prefix,
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-c",
                f"listen_addresses={LOOPBACK}",
                "-c",
                f"unix_socket_directories={self.root}",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            environment,
            self.root / "postgres.log",
        )

    def start(self) -> None:
        super().start()
        try:
            self._await_ready()
        except BaseException:
            self.stop()
            raise

    def _await_ready(self) -> None:
        # The port accepts before the server does ("the database system is starting up").
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise ServerFailed(f"PostgreSQL did not become ready: {exc}") from exc
                time.sleep(POLL_INTERVAL)

    def stop(self) -> None:
        """A fast shutdown (open sessions are ended, as when a database goes down), then the
        process's own stop; the cluster stays for `start`."""
        if self.running:
            subprocess.run(
                [*self._prefix, str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m",
                 "fast", "-w", "-t", "10"],
                env=self._environment, capture_output=True, check=False,
            )  # fmt: skip
        super().stop()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server and throw its cluster away (`stop` alone keeps it, to start again:
        "the database went down and came back")."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{LOOPBACK}:{self.port}/{database}"

    def database(self) -> str:
        """A new empty database; its URL."""
        name = f"fasit_test_{next(_numbers)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)
