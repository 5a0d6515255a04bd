"""Small pictures: the deploy-duration sparkline's numbers, and the feature page drawing them
from the status store's finished deploys (a tenant viewer's from its environments only)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from starlette.testclient import TestClient

from fasit.agents import Action
from fasit.reconcile import Deploy, DeployState, Reason, ReleaseView, Status
from fasit.state import SnapshotStore
from fasit.web import ApiTokens, BearerTokens, NoHistory, ReadSide, create_app, set_api_token
from fasit.web.pictures import deploy_durations, sparkline
from tests import states
from tests.unit.web.support import AT, StaticFleet, release_client


def finished(name: str, seconds: float, minutes_ago: int = 0, **changes: object) -> Deploy:
    sent = AT - timedelta(minutes=minutes_ago)
    row = Deploy(
        name,
        "nav/dev",
        "web",
        Action.INSTALL,
        "1.0.0",
        "sha256:h",
        "rev-1",
        1,
        DeployState.DEPLOYED,
        sent,
        sent + timedelta(seconds=seconds),
        sent + timedelta(minutes=6),
    )
    return replace(row, **changes)  # type: ignore[arg-type]


class FinishedHistory(NoHistory):
    """Finished deploys as the store would give them; remembers the environments asked for."""

    def __init__(self, rows: list[Deploy]) -> None:
        self.rows = rows
        self.asked: list[list[str]] = []

    async def finished_deploys(
        self, feature: str, environments: Sequence[str], limit: int = 100
    ) -> list[Deploy]:
        self.asked.append(list(environments))
        return [row for row in self.rows if row.environment in environments][:limit]


def test_a_sparkline_puts_the_largest_value_at_the_top_and_zero_at_the_bottom() -> None:
    assert sparkline([0, 5, 10], 100, 40) == [(0.0, 40.0), (50.0, 20.0), (100.0, 0.0)]


def test_a_sparkline_of_one_value_sits_in_the_middle() -> None:
    assert sparkline([3], 100, 40) == [(50.0, 0.0)]


def test_a_sparkline_of_nothing_has_no_points() -> None:
    assert sparkline([], 100, 40) == []


def test_durations_are_oldest_first_with_their_median_and_longest() -> None:
    drawn = deploy_durations(
        [finished("new", 30, 0), finished("old", 10, 5), finished("mid", 20, 2)]
    )

    assert [d["seconds"] for d in drawn["deploys"]] == [10, 20, 30]  # type: ignore[attr-defined]
    assert (drawn["count"], drawn["median_seconds"], drawn["max_seconds"]) == (3, 20, 30)
    assert drawn["points"] == "0,26.7 120,13.3 240,0"


def test_the_feature_page_draws_its_deploy_durations(tmp_path: Path) -> None:
    rows = [finished("a", 12, 3), finished("b", 48, 1, state=DeployState.FAILED)]
    client = release_client(tmp_path, FinishedHistory(rows))

    page = client.get("/features/web").text
    twin = client.get("/api/v1/features/web").json()["durations"]
    svg = re.search(r'<svg class="spark".*?</svg>', page, re.S)

    assert svg is not None
    assert 'aria-label="2 deploys, median 30.0 s, longest 48.0 s"' in svg[0]
    assert '<polyline class="spark-line" points="0,30 240,0"/>' in svg[0]
    assert '<circle class="spark-failed" cx="240.0" cy="0.0" r="2">' in svg[0]
    assert "nav/dev 1.0.0: 48.0 s (failed, " in svg[0]
    assert (twin["count"], twin["median_seconds"], twin["max_seconds"]) == (2, 30.0, 48.0)


def test_a_feature_without_finished_deploys_says_so(tmp_path: Path) -> None:
    page = release_client(tmp_path, FinishedHistory([])).get("/features/web").text

    assert "No deploy of this feature has finished yet." in page


def test_a_tenant_viewer_draws_only_its_own_environments_deploys(tmp_path: Path) -> None:
    files = states.state(
        states.environment("nav", "dev"),
        states.environment("acme", "dev"),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.assignment("web", "1.0.0", {}),
    )
    built = states.build(tmp_path / "state", files)
    snapshots = SnapshotStore()
    snapshots.offer(built.snapshot)
    views = [
        ReleaseView(env, "web", Status.DEPLOYED, Reason.UNCHANGED, "1.0.0", "1.0.0", "", AT)
        for env in ("acme/dev", "nav/dev")
    ]
    history = FinishedHistory([finished("a", 10, 1, environment="acme/dev"), finished("n", 20)])
    tokens = tmp_path / "api-tokens.yaml"
    set_api_token(tokens, "nav", frozenset({"nav"}), "nav-token")
    read = ReadSide(
        snapshots,
        StaticFleet(views),
        lambda: 0,
        planned=lambda: (built.snapshot, built.plan),
        history=history,
    )
    app = create_app(read, authenticators=[BearerTokens(ApiTokens(tokens))])
    client = TestClient(app, headers={"Authorization": "Bearer nav-token"})

    durations = client.get("/api/v1/features/web").json()["durations"]

    assert [d["environment"] for d in durations["deploys"]] == ["nav/dev"]
    assert history.asked == [["nav/dev"]]
