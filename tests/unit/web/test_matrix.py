"""The fleet matrix (/matrix) and its twin /api/v1/matrix: features by environments, each cell
a status and running version; filters, column windows, pages of rows, and tenant scoping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fasit.reconcile import AgentView, Reason, ReleaseView, Status
from fasit.state import SnapshotStore
from fasit.web import ApiTokens, BearerTokens, ReadSide, create_app, set_api_token
from tests import states
from tests.unit.web.support import AT, StaticFleet

FILES = states.state(
    states.environment("acme", "dev"),
    states.environment("nav", "dev", labels={"aiven": "enabled"}),
    states.environment("nav", "prod"),
    states.feature("web"),
    states.chart("web", "1.0.0"),
    states.assignment("web", "1.0.0", {}),
    states.feature("db"),
    states.chart("db", "1.1.0"),
    states.assignment("db", "1.1.0", {}),
)


def view(environment: str, feature: str, status: Status, running: str, desired: str) -> ReleaseView:
    return ReleaseView(environment, feature, status, Reason.UNCHANGED, desired, running, "", AT)


VIEWS = [
    view("acme/dev", "db", Status.FAILED, "1.0.0", "1.1.0"),
    view("acme/dev", "web", Status.DEPLOYED, "1.0.0", "1.0.0"),
    view("nav/dev", "db", Status.DEPLOYED, "1.1.0", "1.1.0"),
    view("nav/dev", "web", Status.DEPLOYED, "1.0.0", "1.0.0"),
    view("nav/prod", "db", Status.INSTALLING, "1.0.0", "1.1.0"),
    view("nav/prod", "web", Status.DEPLOYED, "1.0.0", "1.0.0"),
]


def matrix_client(tmp_path: Path, views: list[ReleaseView] = VIEWS) -> TestClient:
    built = states.build(tmp_path / "state", FILES)
    snapshots = SnapshotStore()
    snapshots.offer(built.snapshot)
    agents = {"nav/dev": AgentView(True, "s-1"), "nav/prod": AgentView(True, "s-2")}
    read = ReadSide(
        snapshots,
        StaticFleet(views, agents),
        lambda: 2,
        planned=lambda: (built.snapshot, built.plan),
    )
    return TestClient(create_app(read))


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return matrix_client(tmp_path)


def twin(client: TestClient, query: str = "") -> dict[str, object]:
    response = client.get("/api/v1/matrix" + query)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def columns(body: dict[str, object]) -> list[str]:
    environments = body["environments"]
    assert isinstance(environments, dict)
    return [column["environment"] for column in environments["items"]]


def rows(body: dict[str, object]) -> dict[str, list[object]]:
    features = body["features"]
    assert isinstance(features, dict)
    return {row["feature"]: row["cells"] for row in features["items"]}


def cell(html: str, environment: str, feature: str) -> str:
    """The <td> of (environment, feature) in the page's matrix."""
    row = re.search(rf'<tr data-feature="{feature}">(.*?)</tr>', html, re.S)
    assert row is not None, f"no row {feature}"
    found = re.search(rf'<td [^>]*data-environment="{environment}"[^>]*>.*?</td>', row[1], re.S)
    assert found is not None, f"no cell {environment} in row {feature}"
    return found[0]


def test_environments_are_columns_in_tenant_order_grouped_by_tenant(client: TestClient) -> None:
    body = twin(client)

    assert columns(body) == ["acme/dev", "nav/dev", "nav/prod"]
    assert body["groups"] == [{"tenant": "acme", "columns": 1}, {"tenant": "nav", "columns": 2}]
    assert list(rows(body)) == ["db", "web"]


def test_a_cell_carries_status_and_running_version_with_the_desired_on_hover(
    client: TestClient,
) -> None:
    failed = cell(client.get("/matrix").text, "acme/dev", "db")

    assert 'class="cell status-FAILED"' in failed
    assert 'title="FAILED, desired 1.1.0"' in failed
    assert ">1.0.0</a>" in failed
    assert 'href="/environments/acme/dev/features/db"' in failed


def test_a_rolling_cell_reads_from_running_to_desired(client: TestClient) -> None:
    rolling = cell(client.get("/matrix").text, "nav/prod", "db")

    assert ">1.0.0 → 1.1.0</a>" in rolling
    assert rows(twin(client))["db"][2] == {
        "status": "INSTALLING",
        "running_version": "1.0.0",
        "desired_version": "1.1.0",
        "rolling": True,
    }


def test_a_feature_without_a_release_in_an_environment_has_an_empty_cell(tmp_path: Path) -> None:
    views = [v for v in VIEWS if (v.environment, v.feature) != ("nav/dev", "db")]
    client = matrix_client(tmp_path, views)

    assert rows(twin(client))["db"][1] is None
    assert '<td class="cell"></td>' in client.get("/matrix").text


def test_counts_are_over_the_chosen_environments(client: TestClient) -> None:
    releases = twin(client, "?tenant=nav")["releases"]

    assert releases == {
        "total": 4,
        "failed": 0,
        "pending": 1,
        "attention": 0,
        "attention_statuses": [],
        "counts": {"INSTALLING": 1, "DEPLOYED": 3},
    }


def test_a_label_filter_keeps_the_environments_with_that_label(client: TestClient) -> None:
    assert columns(twin(client, "?label=aiven=enabled")) == ["nav/dev"]


def test_a_tenant_filter_keeps_that_tenants_environments(client: TestClient) -> None:
    assert columns(twin(client, "?tenant=nav")) == ["nav/dev", "nav/prod"]


def test_a_status_filter_keeps_the_environments_and_features_with_a_release_in_it(
    client: TestClient,
) -> None:
    body = twin(client, "?status=failed")

    assert columns(body) == ["acme/dev"]
    assert list(rows(body)) == ["db"]


def test_a_feature_filter_keeps_the_features_whose_name_holds_it(client: TestClient) -> None:
    assert list(rows(twin(client, "?q=WE"))) == ["web"]


def test_a_window_of_columns_links_to_the_next_and_previous_windows(client: TestClient) -> None:
    first = twin(client, "?limit=2")
    second = twin(client, "?limit=2&envs_from=nav/prod")
    page = client.get("/matrix?limit=2&envs_from=nav/prod").text

    assert columns(first) == ["acme/dev", "nav/dev"]
    assert first["environments"]["next"] == "nav/prod"  # type: ignore[index]
    assert first["environments"]["previous"] is None  # type: ignore[index]
    assert columns(second) == ["nav/prod"]
    assert second["environments"]["previous"] == "acme/dev"  # type: ignore[index]
    assert second["environments"]["next"] is None  # type: ignore[index]
    assert 'rel="prev" href="/matrix?limit=2&amp;envs_from=acme%2Fdev"' in page
    assert "environments 3 to 3 of 3" in page


def test_a_window_from_an_unknown_environment_starts_at_the_next_one(client: TestClient) -> None:
    assert columns(twin(client, "?envs_from=b")) == ["nav/dev", "nav/prod"]


def test_rows_come_in_pages(client: TestClient) -> None:
    body = twin(client, "?per_page=1&page=2")

    assert list(rows(body)) == ["web"]
    assert body["features"]["total"] == 2  # type: ignore[index]
    assert body["features"]["pages"] == 2  # type: ignore[index]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit must be 1 or more, got 0"),
        ("limit=201", "limit must be 1..200, got 201"),
        ("per_page=501", "per_page must be 1..500, got 501"),
        ("label=aiven", "label must be KEY=VALUE, got 'aiven'"),
        ("status=GREEN", "status must be one of"),
    ],
    ids=["no-columns", "too-many-columns", "too-many-rows", "label-without-value", "no-status"],
)
def test_a_bad_query_is_a_400_saying_what_is_wrong(
    client: TestClient, query: str, message: str
) -> None:
    response = client.get(f"/api/v1/matrix?{query}")

    assert response.status_code == 400
    assert message in response.json()["error"]


def test_a_column_without_an_agent_is_marked_offline(client: TestClient) -> None:
    page = client.get("/matrix").text

    assert '<th data-environment="acme/dev" class="offline" title="no agent connected">' in page
    assert [c["connected"] for c in twin(client)["environments"]["items"]] == [  # type: ignore[index]
        False,
        True,
        True,
    ]


def test_every_page_links_to_the_matrix(client: TestClient) -> None:
    assert '<a href="/matrix" >Matrix</a>' in client.get("/").text


def test_an_empty_fleet_has_an_empty_matrix(tmp_path: Path) -> None:
    client = TestClient(create_app(ReadSide(SnapshotStore(), StaticFleet(), lambda: 0)))

    body = twin(client)
    page = client.get("/matrix").text

    assert columns(body) == []
    assert rows(body) == {}
    assert body["environments"]["total"] == 0  # type: ignore[index]
    assert body["releases"]["total"] == 0  # type: ignore[index]
    assert "No environment to show." in page


def test_a_nav_viewers_matrix_has_no_acme_column_or_count(tmp_path: Path) -> None:
    built = states.build(tmp_path / "state", FILES)
    snapshots = SnapshotStore()
    snapshots.offer(built.snapshot)
    tokens = tmp_path / "api-tokens.yaml"
    set_api_token(tokens, "nav", frozenset({"nav"}), "nav-token")
    read = ReadSide(
        snapshots, StaticFleet(VIEWS), lambda: 0, planned=lambda: (built.snapshot, built.plan)
    )
    app = create_app(read, authenticators=[BearerTokens(ApiTokens(tokens))])
    client = TestClient(app, headers={"Authorization": "Bearer nav-token"})

    body = twin(client, "?status=FAILED")
    whole = twin(client)
    page = client.get("/matrix").text

    assert columns(body) == []
    assert rows(body) == {}
    assert columns(whole) == ["nav/dev", "nav/prod"]
    assert whole["tenants"] == ["nav"]
    assert whole["releases"]["total"] == 4  # type: ignore[index]
    assert "acme" not in page
    assert "acme" not in str(whole)
