"""The git webhook: a good GitHub signature asks for a refresh; anything else is refused."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from starlette.testclient import TestClient

from fasit.state import SnapshotStore
from fasit.web import MAX_HOOK_BYTES, WEBHOOK_PATH, ReadSide, create_app, webhook_route
from tests.unit.web.support import StaticFleet

SECRET = b"it is a secret"
BODY = b'{"ref": "refs/heads/main"}'


def signed(body: bytes, secret: bytes = SECRET) -> dict[str, str]:
    digest = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}"}


def app_with_hook(refreshes: list[int]) -> TestClient:
    read = ReadSide(SnapshotStore(), StaticFleet(), lambda: 0)
    hook = webhook_route(SECRET, lambda: refreshes.append(1))
    return TestClient(create_app(read, hooks=[hook]))


def test_a_correctly_signed_hook_asks_the_source_to_refresh() -> None:
    refreshes: list[int] = []

    response = app_with_hook(refreshes).post(WEBHOOK_PATH, content=BODY, headers=signed(BODY))

    assert (response.status_code, refreshes) == (202, [1])


@pytest.mark.parametrize(
    "headers",
    [
        {},
        signed(BODY, secret=b"another secret"),
        signed(b"another body"),
        {"X-Hub-Signature-256": "sha1=0000"},
    ],
    ids=["unsigned", "wrong-secret", "other-body", "malformed"],
)
def test_a_hook_without_a_good_signature_is_401_and_refreshes_nothing(
    headers: dict[str, str],
) -> None:
    refreshes: list[int] = []

    response = app_with_hook(refreshes).post(WEBHOOK_PATH, content=BODY, headers=headers)

    assert response.status_code == 401
    assert "X-Hub-Signature-256" in response.text
    assert refreshes == []


def test_an_oversized_hook_is_413() -> None:
    body = b"x" * (MAX_HOOK_BYTES + 1)

    response = app_with_hook([]).post(WEBHOOK_PATH, content=body, headers=signed(body))

    assert response.status_code == 413


def test_without_a_secret_the_hook_is_a_write_like_any_other_405() -> None:
    app = TestClient(create_app(ReadSide(SnapshotStore(), StaticFleet(), lambda: 0)))

    assert app.post(WEBHOOK_PATH, content=BODY, headers=signed(BODY)).status_code == 405


def test_the_hook_takes_only_post() -> None:
    assert app_with_hook([]).delete(WEBHOOK_PATH).status_code == 405
