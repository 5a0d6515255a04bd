"""The rollouts page and its JSON twin /api/v1/rollouts: each change's waves, per-environment
progress, the soak still to go, and what halted it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from fasit.reconcile import ChangeProgress, Progress, Standing, gate_change
from fasit.state import SnapshotStore
from fasit.web import ReadSide, create_app
from tests import states
from tests.unit.web.support import StaticFleet


def client(tmp_path: Path, *changes: ChangeProgress) -> TestClient:
    read = ReadSide(SnapshotStore(), StaticFleet(), lambda: 0, rollouts=lambda: changes)
    return TestClient(create_app(read))


def change(tmp_path: Path, now: datetime, *standings: Standing) -> ChangeProgress:
    files = states.state(
        states.environment("nav", "dev"),
        states.environment("nav", "prod"),
        states.rollout("default", ("dev", {"env": "dev"}, "0s"), ("prod", {"env": "prod"}, "1h")),
        states.feature("web"),
        states.chart("web", "2.0.0"),
        states.assignment("web", "2.0.0", {}),
    )
    layout = states.build(tmp_path, files).plan.rollouts["web"]
    return gate_change(("web", "2.0.0", "sha256:" + "ab" * 32), layout, standings, now)


def test_a_soaking_change_shows_the_soak_still_to_go(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    deployed_at = now - timedelta(minutes=20)
    soaking = change(
        tmp_path,
        now,
        Standing("nav/dev", 0, Progress.DEPLOYED, "DEPLOYED", deployed_at),
        Standing("nav/prod", 1, Progress.DEPLOYING, "deploying 2.0.0"),
    )

    body = client(tmp_path, soaking).get("/api/v1/rollouts").json()

    (item,) = body["items"]
    assert item["change"] == "2.0.0@abababababab"
    assert item["current_wave"] == "prod"
    assert item["halted"] is None
    until = deployed_at + timedelta(hours=1)
    assert item["soak_until"] == until.isoformat().replace("+00:00", "Z")
    assert 0 < item["soak_remaining_seconds"] <= 2400  # counted from the request
    assert [(w["name"], w["state"], w["deployed"], w["total"]) for w in item["waves"]] == [
        ("dev", "done", 1, 1),
        ("prod", "waiting", 0, 1),
        ("(rest)", "empty", 0, 0),
    ]
    assert item["waves"][1]["held"].startswith("waiting for wave dev: soaking until ")


def test_a_halted_change_shows_why_on_the_page(tmp_path: Path) -> None:
    halted = change(
        tmp_path,
        datetime.now(UTC),
        Standing("nav/dev", 0, Progress.FAILED, "FAILED"),
        Standing("nav/prod", 1, Progress.DEPLOYING, "deploying 2.0.0"),
    )

    page = client(tmp_path, halted).get("/rollouts")

    assert page.status_code == 200
    assert "halted: nav/dev FAILED (wave dev); a revision that fixes it resumes" in page.text
    assert '<a href="/rollouts" aria-current="page">Rollouts</a>' in page.text


def test_with_nothing_rolling_the_page_says_so(tmp_path: Path) -> None:
    api = client(tmp_path)

    assert api.get("/api/v1/rollouts").json() == {"items": []}
    assert "No change is rolling through waves." in api.get("/rollouts").text


def test_each_wave_has_a_progress_bar_of_its_deployed_environments(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    rolling = change(
        tmp_path,
        now,
        Standing("nav/dev", 1, Progress.DEPLOYED, "DEPLOYED", now),
        Standing("nav/prod", 1, Progress.DEPLOYING, "deploying 2.0.0"),
    )

    page = client(tmp_path, rolling).get("/rollouts").text
    bars = re.findall(r'<svg class="bar".*?</svg>', page)

    assert len(bars) == 3  # one per wave, the empty ones too
    assert 'aria-label="0 of 0 deployed"' in bars[0]
    assert 'aria-label="1 of 2 deployed"' in bars[1]
    assert '<rect class="bar-done" width="60.0"' in bars[1]
    assert "<title>1 of 2 deployed</title>" in bars[1]
    assert '<rect class="bar-done" width="0"' in bars[2]
