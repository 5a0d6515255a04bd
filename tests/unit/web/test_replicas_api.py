"""GET /api/v1/replicas: every replica sharing the fleet with the environments it owns, as far
as the viewer may see them; no items for a controller that shares nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from starlette.testclient import TestClient

from fasit.reconcile import LEADER, Ownership, Replica
from fasit.state import SnapshotStore
from fasit.web import ApiTokens, BearerTokens, ReadSide, create_app, set_api_token
from tests.unit.web.support import StaticFleet

SEEN = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
OWNERSHIP = Ownership(
    "a",
    frozenset({"nav/dev", "acme/dev"}),
    {"nav/dev": "a", "acme/dev": "a", "nav/prod": "b", LEADER: "a"},
    (
        Replica("a", "10.0.0.1:8080", "10.0.0.1:9090", SEEN),
        Replica("b", "10.0.0.2:8080", "10.0.0.2:9090", SEEN),
    ),
    valid_until=1e12,
)


def client(tmp_path: Path, ownership: Ownership | None) -> TestClient:
    tokens = tmp_path / "api-tokens.yaml"
    set_api_token(tokens, "nav", frozenset({"nav"}), "nav")
    set_api_token(tokens, "admins", None, "admins")
    read = ReadSide(SnapshotStore(), StaticFleet([]), lambda: 0, replicas=lambda: ownership)
    return TestClient(create_app(read, authenticators=[BearerTokens(ApiTokens(tokens))]))


def replicas(client: TestClient, token: str) -> object:
    response = client.get("/api/v1/replicas", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def test_each_replica_is_listed_with_its_addresses_and_environments(tmp_path: Path) -> None:
    assert replicas(client(tmp_path, OWNERSHIP), "admins") == {
        "items": [
            {
                "id": "a",
                "http_addr": "10.0.0.1:8080",
                "grpc_addr": "10.0.0.1:9090",
                "environments": ["acme/dev", "nav/dev"],
                "last_seen": "2026-12-06T03:00:00Z",
            },
            {
                "id": "b",
                "http_addr": "10.0.0.2:8080",
                "grpc_addr": "10.0.0.2:9090",
                "environments": ["nav/prod"],
                "last_seen": "2026-12-06T03:00:00Z",
            },
        ]
    }


def test_a_tenant_sees_only_its_own_environments_among_the_leases(tmp_path: Path) -> None:
    body = replicas(client(tmp_path, OWNERSHIP), "nav")

    assert isinstance(body, dict)
    assert [item["environments"] for item in body["items"]] == [["nav/dev"], ["nav/prod"]]


def test_a_controller_that_shares_nothing_lists_no_replicas(tmp_path: Path) -> None:
    assert replicas(client(tmp_path, None), "admins") == {"items": []}
