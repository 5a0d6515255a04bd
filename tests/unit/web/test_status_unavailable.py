"""A status database that cannot be read: the release page and its JSON twin answer 503 with a
short message of ours (never a traceback, never sqlite's words), the cause is logged once, and
reads work again as soon as the file does."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fasit.reconcile import Reason, ReleaseView, SqliteStatusStore, Status
from fasit.state import SnapshotStore
from fasit.web import ReadSide, create_app
from tests import states
from tests.unit.web.support import StaticFleet

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
RELEASE = "/environments/nav/dev/features/web"
MESSAGE = (
    "the status store (decision and deploy history) cannot be read right now;"
    " the server log says why"
)


def corrupt(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:  # every page into the file, none in the WAL
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path.write_bytes(b"this is no sqlite database " * 200)


def unreadable(path: Path) -> None:
    path.rename(aside(path))
    path.mkdir()


def aside(path: Path) -> Path:
    return path.with_name(path.name + ".aside")


BREAKS = [pytest.param(corrupt, id="corrupt"), pytest.param(unreadable, id="unreadable")]


@pytest.fixture
async def status_store(tmp_path: Path) -> AsyncIterator[SqliteStatusStore]:
    store = SqliteStatusStore(tmp_path / "status.db")
    await store.open()
    yield store
    await store.close()


def client_over(tmp_path: Path, store: SqliteStatusStore) -> TestClient:
    files = states.state(
        states.environment("nav", "dev"),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.assignment("web", "1.0.0", {}),
    )
    built = states.build(tmp_path / "state", files)
    snapshots = SnapshotStore()
    snapshots.offer(built.snapshot)
    view = ReleaseView(
        "nav/dev", "web", Status.DEPLOYED, Reason.UNCHANGED, "1.0.0", "1.0.0", "", AT
    )
    read = ReadSide(
        snapshots,
        StaticFleet([view]),
        lambda: 1,
        planned=lambda: (built.snapshot, built.plan),
        history=store,
    )
    # The app runs on the client's own loop and thread; the store's reads run on its threads.
    return TestClient(create_app(read))


@pytest.mark.parametrize("break_file", BREAKS)
async def test_the_release_page_answers_503_with_a_short_html_message(
    tmp_path: Path, status_store: SqliteStatusStore, break_file: Callable[[Path], None]
) -> None:
    break_file(status_store.path)
    with client_over(tmp_path, status_store) as client:
        response = client.get(RELEASE)

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["retry-after"] == "30"
    assert MESSAGE in response.text
    assert "Traceback" not in response.text
    assert "sqlite" not in response.text.lower()


@pytest.mark.parametrize("break_file", BREAKS)
async def test_the_release_twin_answers_503_with_a_json_error(
    tmp_path: Path, status_store: SqliteStatusStore, break_file: Callable[[Path], None]
) -> None:
    break_file(status_store.path)
    with client_over(tmp_path, status_store) as client:
        response = client.get("/api/v1" + RELEASE)

    assert response.status_code == 503
    assert response.json() == {"error": MESSAGE}


async def test_the_cause_is_logged_once_however_often_the_page_is_asked(
    tmp_path: Path, status_store: SqliteStatusStore, caplog: pytest.LogCaptureFixture
) -> None:
    corrupt(status_store.path)
    client = client_over(tmp_path, status_store)
    with caplog.at_level(logging.INFO, logger="fasit"), client:
        for _ in range(3):
            client.get(RELEASE)

    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in failures] == [
        f"status store: reads fail until it can be read again: cannot open the status store"
        f" {status_store.path}: file is not a database"
    ]
    assert all(r.exc_info is None for r in caplog.records)


async def test_reads_work_again_once_the_file_does(
    tmp_path: Path, status_store: SqliteStatusStore, caplog: pytest.LogCaptureFixture
) -> None:
    with client_over(tmp_path, status_store) as client:
        unreadable(status_store.path)
        broken = client.get(RELEASE)
        status_store.path.rmdir()
        aside(status_store.path).rename(status_store.path)
        with caplog.at_level(logging.INFO, logger="fasit"):
            again = client.get(RELEASE)

    assert (broken.status_code, again.status_code) == (503, 200)
    assert "status store: reads work again" in [r.getMessage() for r in caplog.records]
