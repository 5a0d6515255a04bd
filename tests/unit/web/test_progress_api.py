"""`GET /api/v1/revisions/{revision}/progress` over a real snapshot store and release views."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from fasit.plan import ChangeKind, PlanChanges
from fasit.reconcile import ReleaseView, Status
from fasit.state import SnapshotStore
from fasit.web import ReadSide, create_app
from tests.unit.web.support import StaticFleet
from tests.unit.web.test_api import GOOD, offer, view

OLD, NEW = "0a" * 20, "0b" * 20


def client(tmp_path: Path, views: list[ReleaseView], decided: str = NEW) -> TestClient:
    store = SnapshotStore()
    offer(store, tmp_path / "old", GOOD, OLD)
    offer(store, tmp_path / "new", GOOD, NEW)
    upgrades = {
        ("nav/dev", "web"): ChangeKind.UPGRADE,
        ("nav/prod", "web"): ChangeKind.UPGRADE,
        ("nav/prod", "api"): ChangeKind.VALUES_CHANGED,
    }
    plans = (
        PlanChanges(store.history[0].revision, store.history[1].revision, (), 3, upgrades),
        PlanChanges(store.history[1].revision, None, (), 0, {}),
    )
    read = ReadSide(
        store,
        StaticFleet(views),
        lambda: 2,
        plan_changes=lambda: plans,
        decided_revision=lambda: decided,
    )
    return TestClient(create_app(read))


ROLLING = [
    view("nav/dev", "web", Status.FAILED),
    view("nav/prod", "api"),
    view("nav/prod", "web", Status.INSTALLING),
]


def test_progress_of_a_prefix_lists_failed_and_pending_with_counts(tmp_path: Path) -> None:
    response = client(tmp_path, ROLLING).get("/api/v1/revisions/0b0b/progress")

    body = response.json()
    assert response.status_code == 200
    assert (body["revision"]["revision"], body["serving"], body["state"]) == (NEW, True, "failed")
    assert body["summary"] == "1 failed: nav/dev web FAILED (running)"
    assert body["counts"] == {"done": 1, "failed": 1, "pending": 1, "ignored": 0, "superseded": 0}
    assert body["failed"] == [
        {
            "environment": "nav/dev",
            "feature": "web",
            "change": "upgrade",
            "status": "FAILED",
            "message": "running",
        }
    ]
    assert [(r["environment"], r["status"]) for r in body["pending"]] == [
        ("nav/prod", "INSTALLING")
    ]


def test_progress_of_one_feature_counts_only_its_releases(tmp_path: Path) -> None:
    body = client(tmp_path, ROLLING).get(f"/api/v1/revisions/{NEW}/progress?feature=api").json()

    assert (body["feature"], body["state"], body["summary"]) == ("api", "done", "1 of 1 done")


def test_an_unknown_revision_is_404_saying_so(tmp_path: Path) -> None:
    response = client(tmp_path, ROLLING).get("/api/v1/revisions/ffff/progress")

    assert response.status_code == 404
    assert response.json() == {"error": "no recent revision starts with 'ffff' (2 kept)"}


def test_a_prefix_of_two_revisions_is_409_naming_them(tmp_path: Path) -> None:
    response = client(tmp_path, ROLLING).get("/api/v1/revisions/0/progress")

    assert response.status_code == 409
    assert response.json()["error"].startswith("'0' starts 2 recent revisions (0a0a0a0a0a0a,")


def test_progress_is_read_only(tmp_path: Path) -> None:
    response = client(tmp_path, ROLLING).post(f"/api/v1/revisions/{NEW}/progress")

    assert response.status_code == 405
