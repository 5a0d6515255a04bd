"""Dashboard pages over a real snapshot and plan: escaping, masking, and the empty start."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fasit.agents import Action
from fasit.reconcile import AgentView, Deploy, DeployState, Reason, ReleaseView, Status
from fasit.state import SnapshotStore
from fasit.web import LiveUpdates, NoHistory, ReadSide, create_app
from tests import states
from tests.unit.web.support import StaticFleet

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
PAYLOAD = '<script>window.owned=1</script><img src=x onerror="window.owned=2">'


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    view = ReleaseView(
        "nav/dev", "web", Status.DEPLOYED, Reason.UNCHANGED, "1.0.0", "1.0.0", PAYLOAD, AT
    )
    return dashboard(tmp_path, StaticFleet([view]))


def dashboard(tmp_path: Path, fleet: StaticFleet) -> TestClient:
    """The dashboard over nav/dev (a label and a secret reference in its values) and `fleet`."""
    files = states.state(
        states.environment(
            "nav", "dev", labels={"team": PAYLOAD}, values={"key": {"secretRef": "dev-key"}}
        ),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.assignment("web", "1.0.0", {}),
    )
    built = states.build(tmp_path / "state", files)
    store = SnapshotStore()
    store.offer(built.snapshot)
    read = ReadSide(store, fleet, lambda: 1, planned=lambda: (built.snapshot, built.plan))
    return TestClient(create_app(read))


@pytest.mark.parametrize(
    "page", ["/environments", "/environments/nav/dev", "/environments/nav/dev/features/web"]
)
def test_markup_in_a_label_renders_as_text(client: TestClient, page: str) -> None:
    body = client.get(page).text

    assert "&lt;script&gt;window.owned=1&lt;/script&gt;" in body
    assert "<script>window" not in body
    assert "<img" not in body


def test_a_status_message_with_markup_renders_as_text(client: TestClient) -> None:
    body = client.get("/features/web").text

    assert "&lt;img src=x" in body
    assert "<img" not in body


def test_a_secret_reference_in_environment_values_is_masked(client: TestClient) -> None:
    environment = client.get("/api/v1/environments/nav/dev").json()

    assert environment["values"] == {"key": "***"}


def test_pages_say_nothing_is_served_before_the_first_revision() -> None:
    read = ReadSide(SnapshotStore(), StaticFleet(), lambda: 0)
    client = TestClient(create_app(read))

    assert "No revision served yet." in client.get("/").text
    assert client.get("/api/v1/features").json()["total"] == 0
    assert client.get("/environments/nav/dev").status_code == 404


def test_the_event_stream_refuses_clients_beyond_its_limit() -> None:
    read = ReadSide(SnapshotStore(), StaticFleet(), lambda: 0)
    live = LiveUpdates(lambda: 0, max_clients=0)
    response = TestClient(create_app(read, live=live)).get("/api/v1/events")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"


def test_the_release_page_shows_values_invalid_and_the_schemas_rule(tmp_path: Path) -> None:
    web = states.chart("web", "1.0.0", {"replicas": states.configurable("int")})
    web["charts/web/1.0.0/values.schema.json"] = '{"properties": {"replicas": {"maximum": 3}}}'
    files = states.state(
        states.environment("nav", "dev"),
        states.feature("web"),
        web,
        states.assignment("web", "1.0.0", {}),
        states.config("web", "nav/dev", {"replicas": 5}),
    )
    built = states.build(tmp_path / "state", files)
    store = SnapshotStore()
    store.offer(built.snapshot)
    message = built.plan.releases["nav/dev", "web"].message
    view = ReleaseView(
        "nav/dev", "web", Status.VALUES_INVALID, Reason.VALUES_INVALID, "1.0.0", "", message, AT
    )
    read = ReadSide(
        store, StaticFleet([view]), lambda: 1, planned=lambda: (built.snapshot, built.plan)
    )

    body = TestClient(create_app(read)).get("/environments/nav/dev/features/web").text

    assert "status-VALUES-INVALID" in body
    assert "(values-invalid)" in body
    assert "replicas: must be &lt;= 3" in body


def test_an_environment_with_a_refused_uninstall_needs_attention(tmp_path: Path) -> None:
    refused = ReleaseView(
        "nav/dev", "cache", Status.PRUNE_REFUSED, Reason.PRUNE_REFUSED, "1.0.0", "1.0.0", "", AT
    )
    client = dashboard(tmp_path, StaticFleet([refused], {"nav/dev": AgentView(True, "s")}))

    overview = client.get("/api/v1/overview").json()
    page = client.get("/").text

    assert overview["attention"] == [
        {
            "environment": "nav/dev",
            "connected": True,
            "failed": 0,
            "prune_refused": 1,
            "offline": False,
            "attention": 1,
            "statuses": ["PRUNE-REFUSED"],
            "releases": 1,
        }
    ]
    assert 'data-badge="prune-refused">prune-refused</span>' in page


def upgrade_rows(resent: bool = False) -> list[Deploy]:
    """The status store's rows of one upgrade of web, 0.9.0 → 1.0.0: sent (again to a new
    session when `resent`), acknowledged, deployed; newest first, as the store reads them."""
    sent = Deploy(
        "nav/dev/web/1",
        "nav/dev",
        "web",
        Action.INSTALL,
        "1.0.0",
        "sha256:h",
        "rev-1",
        1,
        DeployState.SENT,
        AT,
        AT,
        AT + timedelta(seconds=360),
        "web",
        "session-1",
        from_version="0.9.0",
    )
    again = replace(sent, session_id="session-2", updated_at=AT + timedelta(seconds=1))
    sends = [again, sent] if resent else [sent]
    acked = sends[0].moved(DeployState.INSTALLING, AT + timedelta(seconds=2))
    return [acked.moved(DeployState.DEPLOYED, AT + timedelta(seconds=3)), acked, *sends]


class RowsHistory(NoHistory):
    def __init__(self, rows: list[Deploy]) -> None:
        self.rows = rows

    async def deploys(self, environment: str, feature: str, limit: int = 100) -> list[Deploy]:
        return self.rows


def release_client(tmp_path: Path, rows: list[Deploy]) -> TestClient:
    """The dashboard over nav/dev running web 1.0.0, with `rows` as web's deploy log."""
    files = states.state(
        states.environment("nav", "dev"),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.assignment("web", "1.0.0", {}),
    )
    built = states.build(tmp_path / "state", files)
    store = SnapshotStore()
    store.offer(built.snapshot)
    view = ReleaseView(
        "nav/dev", "web", Status.DEPLOYED, Reason.UNCHANGED, "1.0.0", "1.0.0", "", AT
    )
    planned = (built.snapshot, built.plan)
    read = ReadSide(
        store, StaticFleet([view]), lambda: 1, planned=lambda: planned, history=RowsHistory(rows)
    )
    return TestClient(create_app(read))


def deploy_card(client: TestClient) -> str:
    """The text of the first deploy card of web on nav/dev."""
    page = client.get("/environments/nav/dev/features/web").text
    return " ".join(re.sub(r"<[^>]+>", "", page.split('class="deploy"')[1]).split())


def test_a_deploy_card_shows_the_upgrade_the_decision_made_and_each_event_once(
    tmp_path: Path,
) -> None:
    client = release_client(tmp_path, upgrade_rows())

    deploy = client.get("/api/v1/environments/nav/dev/features/web").json()["deploys"][0]
    card = deploy_card(client)

    assert (deploy["change"], deploy["from_version"], deploy["version"]) == (
        "upgrade",
        "0.9.0",
        "1.0.0",
    )
    assert deploy["summary"] == "upgrade 0.9.0 → 1.0.0"
    assert card.startswith('data-instruction="nav/dev/web/1"> upgrade 0.9.0 → 1.0.0 · attempt 1')
    assert [word for word in card.split() if word in ("sent", "installing", "deployed")] == [
        "deployed",
        "sent",
        "installing",
        "deployed",
    ]


def test_an_instruction_sent_again_to_a_new_session_says_resent_in_its_timeline(
    tmp_path: Path,
) -> None:
    card = deploy_card(release_client(tmp_path, upgrade_rows(resent=True)))

    timeline = [w for w in card.split() if w in ("sent", "resent", "installing", "deployed")]
    assert timeline == ["deployed", "sent", "resent", "installing", "deployed"]
