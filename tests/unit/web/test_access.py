"""Who sees what: the app over real stores with API tokens. Credentials are checked before
any route; a tenant's viewer reads its environments only, and revisions and problems that
name only another tenant's files are hidden from it (docs/access.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fasit.reconcile import Reason, ReleaseView, Status
from fasit.state import DirectoryTree, Revision, SnapshotStore, build_snapshot
from fasit.web import ApiTokens, BearerTokens, ReadSide, create_app, set_api_token
from fasit.web.scoped import scoped_read
from tests import states
from tests.helpers import write_tree
from tests.unit.web.support import AT, StaticFleet

FILES = states.state(
    states.environment("nav", "dev"),
    states.environment("acme", "dev"),
    states.feature("web"),
    states.chart("web", "1.0.0"),
    states.assignment("web", "1.0.0", {}),
)


def view(environment: str) -> ReleaseView:
    return ReleaseView(
        environment, "web", Status.DEPLOYED, Reason.UNCHANGED, "1.0.0", "1.0.0", "", AT
    )


class Fleet:
    """The example: nav/dev and acme/dev run web; tokens for nav, acme and admins."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        built = states.build(tmp_path / "state", FILES)
        self.snapshots = SnapshotStore()
        self.snapshots.offer(built.snapshot)
        tokens = tmp_path / "api-tokens.yaml"
        for name, tenants in (("nav", {"nav"}), ("acme", {"acme"}), ("admins", None)):
            set_api_token(tokens, name, None if tenants is None else frozenset(tenants), name)
        read = ReadSide(
            self.snapshots,
            StaticFleet([view("acme/dev"), view("nav/dev")]),
            lambda: 0,
            planned=lambda: (built.snapshot, built.plan),
        )
        app = create_app(read, authenticators=[BearerTokens(ApiTokens(tokens))])
        self.client = TestClient(app)

    def get(self, path: str, token: str | None) -> tuple[int, str]:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        response = self.client.get(path, headers=headers)
        return response.status_code, response.text

    def json(self, path: str, token: str) -> dict[str, object]:
        response = self.client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    def commit(self, name: str, changes: dict[str, str]) -> None:
        """Offer a revision whose tree is the example with `changes` (it may fail)."""
        root = write_tree(self.tmp_path / name, {**FILES, **changes})
        at = datetime(2026, 11, 21, 13, 0, tzinfo=UTC)
        revision = Revision(name * 6, "test", at, "Ann <ann@example.net>", f"{name}: a change")
        self.snapshots.offer(build_snapshot(DirectoryTree(root), revision))


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    return Fleet(tmp_path)


def test_a_page_without_a_token_answers_a_short_401_page(fleet: Fleet) -> None:
    response = fleet.client.get("/environments")

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["www-authenticate"] == 'Bearer realm="fasit"'
    assert "Authorization: Bearer TOKEN" in response.text
    assert "nav/dev" not in response.text


def test_a_write_is_still_405_before_any_credentials_are_asked(fleet: Fleet) -> None:
    assert fleet.client.post("/api/v1/status").status_code == 405


def test_the_stylesheet_needs_no_token(fleet: Fleet) -> None:
    assert fleet.get("/static/fasit.css", None)[0] == 200


def test_another_tenants_environment_is_404_not_403(fleet: Fleet) -> None:
    assert fleet.get("/environments/acme/dev", "nav")[0] == 404
    assert fleet.get("/api/v1/environments/acme/dev/features/web", "nav")[0] == 404
    assert fleet.get("/environments/nav/dev", "nav")[0] == 200


def test_a_feature_only_another_tenant_runs_is_404(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path)

    assert fleet.get("/features/web", "nav")[0] == 200
    assert fleet.get("/features/unknown", "nav")[0] == 404


def test_a_problem_in_another_tenants_file_is_hidden_with_its_revision(fleet: Fleet) -> None:
    broken = {"environments/acme/dev.yaml": FILES["environments/acme/dev.yaml"] + "bogus: 1\n"}

    fleet.commit("a", broken)

    nav = fleet.json("/api/v1/revisions", "nav")
    acme = fleet.json("/api/v1/revisions", "acme")
    assert [item["outcome"] for item in nav["items"]] == ["served"]  # type: ignore[index]
    assert [item["outcome"] for item in acme["items"]] == ["failed", "served"]  # type: ignore[index]
    assert fleet.json("/api/v1/overview", "nav")["failed_revision"] is None
    assert fleet.json("/api/v1/overview", "acme")["failed_revision"] is not None
    status = fleet.json("/api/v1/status", "nav")
    assert status["latest"]["outcome"] == "served"  # type: ignore[index]
    assert "aaaaaa" not in str(fleet.json("/api/v1/overview", "nav"))


def test_a_problem_in_a_shared_file_is_shown_to_every_tenant(fleet: Fleet) -> None:
    broken = {"features/web.yaml": FILES["features/web.yaml"] + "bogus: 1\n"}

    fleet.commit("b", broken)

    files = []
    for token in ("nav", "acme", "admins"):
        failed = fleet.json("/api/v1/overview", token)["failed_revision"]
        assert failed is not None, token
        files.append({p["file"] for p in failed["problems"]})  # type: ignore[index]
    assert files[0] == files[1] == files[2]
    assert "features/web.yaml" in files[0]


def test_a_problem_in_a_file_the_served_revision_does_not_know_is_for_admins_only(
    fleet: Fleet,
) -> None:
    fleet.commit("c", {"environments/nav/new.yaml": "apiVersion: fasit/v1\nkind: Nope\n"})

    assert fleet.json("/api/v1/overview", "nav")["failed_revision"] is None
    assert fleet.json("/api/v1/overview", "admins")["failed_revision"] is not None


def test_counts_are_the_viewers_own(fleet: Fleet) -> None:
    assert fleet.json("/api/v1/overview", "nav")["releases"]["total"] == 1  # type: ignore[index]
    assert fleet.json("/api/v1/overview", "admins")["releases"]["total"] == 2  # type: ignore[index]
    assert fleet.json("/api/v1/features", "nav")["items"][0]["total"] == 1  # type: ignore[index]
    assert fleet.json("/api/v1/environments?tenant=acme", "nav")["total"] == 0


def test_another_tenants_environment_is_named_in_no_message(tmp_path: Path) -> None:
    waiting = ReleaseView(
        "nav/dev",
        "web",
        Status.PENDING,
        Reason.WAITING_WAVE,
        "1.0.0",
        "",
        "waiting for wave dev: acme/dev deploying 1.0.0, nav/dev-2 FAILED",
        AT,
    )
    built = states.build(tmp_path / "state", FILES)
    snapshots = SnapshotStore()
    snapshots.offer(built.snapshot)
    fleet = StaticFleet([view("acme/dev"), waiting, view("nav/dev-2")])
    read = ReadSide(snapshots, fleet, lambda: 0, planned=lambda: (built.snapshot, built.plan))

    scoped, _ = scoped_read(read, frozenset({"nav"}))

    assert next(v.message for v in scoped.fleet.releases() if v.environment == "nav/dev") == (
        "waiting for wave dev: (another tenant's environment) deploying 1.0.0, nav/dev-2 FAILED"
    )
