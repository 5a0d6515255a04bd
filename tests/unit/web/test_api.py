"""The JSON status API and the read-only guard, over a real snapshot store and release views."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fasit.plan import PlanChanges
from fasit.reconcile import AgentView, Reason, ReleaseView, Status
from fasit.state import DirectoryTree, Revision, SnapshotBuilder, SnapshotStore
from fasit.web import ReadSide, create_app
from tests import states
from tests.helpers import write_tree
from tests.unit.web.support import StaticFleet

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def view(environment: str, feature: str, status: Status = Status.DEPLOYED) -> ReleaseView:
    return ReleaseView(
        environment, feature, status, Reason.UNCHANGED, "1.0.0", "1.0.0", "running", AT
    )


VIEWS = [
    view("nav/dev", "api"),
    view("nav/dev", "web", Status.FAILED),
    view("nav/prod", "api"),
    view("nav/prod", "web", Status.PENDING),
]


def client(store: SnapshotStore, views: list[ReleaseView] = VIEWS) -> TestClient:
    return TestClient(create_app(ReadSide(store, StaticFleet(views), lambda: 2)))


def offer(store: SnapshotStore, root: Path, files: dict[str, str], revision: str) -> None:
    write_tree(root, files)
    snapshot = SnapshotBuilder().build(
        DirectoryTree(root), Revision(revision, str(root), AT, "Ann <ann@example.com>", "bump")
    )
    store.offer(snapshot)


GOOD = states.state(states.environment("nav", "dev"))


def test_status_before_any_revision_says_nothing_is_served() -> None:
    body = client(SnapshotStore()).get("/api/v1/status").json()

    assert body == {
        "served": None,
        "latest": None,
        "stale_since": None,
        "stale_reason": None,
        "agents_connected": 2,
    }


def test_status_shows_the_served_revision(tmp_path: Path) -> None:
    store = SnapshotStore()
    offer(store, tmp_path / "a", GOOD, "c0ffee")

    body = client(store).get("/api/v1/status").json()

    assert body["served"] == {
        "revision": "c0ffee",
        "time": "2026-11-21T12:00:00Z",
        "author": "Ann <ann@example.com>",
        "message": "bump",
    }
    assert body["latest"] == {"revision": "c0ffee", "outcome": "served", "problems": []}


def test_a_broken_newer_revision_shows_its_problems_and_how_stale_the_served_one_is(
    tmp_path: Path,
) -> None:
    store = SnapshotStore()
    offer(store, tmp_path / "a", GOOD, "good")
    offer(store, tmp_path / "b", {"environments/nav/dev.yaml": "kind: [unclosed\n"}, "bad")

    body = client(store).get("/api/v1/status").json()

    assert body["served"]["revision"] == "good"
    assert body["latest"]["revision"] == "bad"
    assert body["latest"]["outcome"] == "failed"
    problem = body["latest"]["problems"][0]
    assert (problem["file"], problem["line"]) == ("environments/nav/dev.yaml", 2)
    assert body["stale_since"] is not None
    assert "serving the last good revision" in body["stale_reason"]


def test_releases_lists_every_pair_with_its_status() -> None:
    body = client(SnapshotStore()).get("/api/v1/releases").json()

    assert body["total"] == 4
    assert body["next"] is None
    assert body["items"][1] == {
        "environment": "nav/dev",
        "feature": "web",
        "status": "FAILED",
        "reason": "unchanged",
        "desired_version": "1.0.0",
        "running_version": "1.0.0",
        "rolling": False,
        "message": "running",
        "updated_at": "2026-11-21T12:00:00Z",
        "deployed_at": None,
    }


@pytest.mark.parametrize(
    ("query", "pairs"),
    [
        ("environment=nav/prod", [("nav/prod", "api"), ("nav/prod", "web")]),
        ("feature=web", [("nav/dev", "web"), ("nav/prod", "web")]),
        ("status=FAILED", [("nav/dev", "web")]),
        ("environment=nav/dev&feature=api", [("nav/dev", "api")]),
    ],
)
def test_releases_filter_by_environment_feature_and_status(
    query: str, pairs: list[tuple[str, str]]
) -> None:
    body = client(SnapshotStore()).get(f"/api/v1/releases?{query}").json()

    assert [(item["environment"], item["feature"]) for item in body["items"]] == pairs
    assert body["total"] == len(pairs)


def test_releases_paginate_with_a_cursor() -> None:
    api = client(SnapshotStore())

    first = api.get("/api/v1/releases?limit=3").json()
    second = api.get(f"/api/v1/releases?limit=3&cursor={first['next']}").json()

    assert [item["feature"] for item in first["items"]] == ["api", "web", "api"]
    assert [(item["environment"], item["feature"]) for item in second["items"]] == [
        ("nav/prod", "web")
    ]
    assert second["next"] is None


def test_a_lower_case_status_filter_returns_what_the_upper_case_one_does() -> None:
    api = client(SnapshotStore())

    lower = api.get("/api/v1/releases?status=failed")
    upper = api.get("/api/v1/releases?status=FAILED")

    assert lower.status_code == 200, lower.text
    assert lower.json() == upper.json()
    assert lower.json()["total"] == 1


PYTHON_WORDS = ("validation error", "Traceback", "ValueError", "invalid literal", "Error(")


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("status=HAPPY", "status must be one of DISABLED, KIND-MISMATCH, "),
        ("limit=0", "limit must be 1 or more, got 0"),
        ("limit=5001", "limit must be 1..5000, got 5001"),
        ("limit=many", "limit must be a whole number, got 'many'"),
        ("cursor=%%%", "cursor must be the next of a previous page"),
        ("cursor=bm9wZQ==", "cursor must be the next of a previous page"),
        ("cursor=__8=", "cursor must be the next of a previous page"),
    ],
)
def test_a_bad_query_is_a_400_that_names_the_parameter_in_our_words(query: str, says: str) -> None:
    response = client(SnapshotStore()).get(f"/api/v1/releases?{query}")

    assert response.status_code == 400
    error = response.json()["error"]
    assert says in error
    assert not any(word in error for word in PYTHON_WORDS), error


def test_a_long_bad_value_is_shown_truncated_and_escaped() -> None:
    response = client(SnapshotStore()).get("/api/v1/releases", params={"status": "x\n" * 200})

    error = response.json()["error"]
    assert response.status_code == 400
    assert "\n" not in error
    assert error.endswith("; got '" + "x\\n" * 20 + "'…")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/v1/status", "/api/v1/releases", "/anything"])
def test_every_write_is_refused_with_405(method: str, path: str) -> None:
    response = client(SnapshotStore()).request(method, path)

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert "read-only" in response.text


def test_readyz_is_503_until_a_revision_is_served_and_healthz_always_ok(tmp_path: Path) -> None:
    store = SnapshotStore()
    api = client(store)
    assert api.get("/readyz").status_code == 503
    assert api.get("/healthz").text == "ok\n"

    offer(store, tmp_path / "a", GOOD, "c0ffee")

    assert api.get("/readyz").status_code == 200


def test_every_status_that_needs_a_person_counts_as_attention_in_the_overview() -> None:
    views = [
        view("nav/dev", "api", Status.CHART_UNAVAILABLE),
        view("nav/dev", "web", Status.RENDER_ERROR),
        view("nav/prod", "api", Status.MISSING_CONFIG),
        view("nav/prod", "web"),
        view("acme/dev", "web"),
    ]
    fleet = StaticFleet(views)
    fleet.agents = {name: AgentView(connected=True) for name in ("nav/dev", "nav/prod", "acme/dev")}
    api = TestClient(create_app(ReadSide(SnapshotStore(), fleet, lambda: 3)))

    body = api.get("/api/v1/overview").json()

    assert {item["feature"]: item["attention"] for item in body["features"]} == {"api": 2, "web": 1}
    assert [(item["environment"], item["statuses"]) for item in body["attention"]] == [
        ("nav/dev", ["CHART-UNAVAILABLE", "RENDER-ERROR"]),
        ("nav/prod", ["MISSING-CONFIG"]),
    ]


def test_a_revision_served_again_is_its_own_history_entry_and_only_the_newest_is_serving(
    tmp_path: Path,
) -> None:
    store = SnapshotStore()
    for number, revision in enumerate(["aaa", "bbb", "aaa"]):
        offer(store, tmp_path / str(number), GOOD, revision)
    plans = [  # newest first, as PlanHistory keeps them
        PlanChanges(store.history[0].revision, store.history[1].revision, (), 3),
        PlanChanges(store.history[1].revision, store.history[2].revision, (), 2),
        PlanChanges(store.history[2].revision, None, (), 1),
    ]
    read = ReadSide(store, StaticFleet(VIEWS), lambda: 2, plan_changes=lambda: tuple(plans))

    items = TestClient(create_app(read)).get("/api/v1/revisions").json()["items"]

    assert [(i["revision"], i["serving"], [p["total"] for p in i["plans"]]) for i in items] == [
        ("aaa", True, [3]),
        ("bbb", False, [2]),
        ("aaa", False, [1]),
    ]


def test_a_revision_counts_the_problems_of_its_releases_by_code_beside_its_errors(
    tmp_path: Path,
) -> None:
    store = SnapshotStore()
    offer(store, tmp_path, GOOD, "c0ffee")
    store.planned(store.history[0].revision, {"chart-unavailable": 2, "render-error": 1})
    api = client(store)

    item = api.get("/api/v1/revisions").json()["items"][0]
    page = api.get("/revisions").text

    assert (item["errors"], item["release_problems"]) == (
        0,
        {"chart-unavailable": 2, "render-error": 1},
    )
    text = " ".join(re.sub(r"<[^>]+>", "", page).split())
    assert (
        "0 errors, 0 warnings · 3 releases with problems: chart-unavailable 2, render-error 1"
        in text
    )
