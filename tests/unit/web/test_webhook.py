"""The git webhook: a good GitHub signature asks for a refresh; anything else is refused."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from starlette.types import Message

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


CHUNK = b"x" * 65_536
CHUNKS_OVER_THE_CAP = MAX_HOOK_BYTES // len(CHUNK) * 4


def chunked(pulled: list[int]) -> Iterator[bytes]:
    """Four times the cap in 64 KiB chunks, counting each chunk the reader pulls."""
    for _ in range(CHUNKS_OVER_THE_CAP):
        pulled.append(1)
        yield CHUNK


def test_a_chunked_hook_over_the_cap_is_413_even_when_signed() -> None:
    body = CHUNK * CHUNKS_OVER_THE_CAP

    response = app_with_hook([]).post(WEBHOOK_PATH, content=chunked([]), headers=signed(body))

    assert response.status_code == 413


def test_a_hook_whose_content_length_lies_is_413() -> None:
    body = b"x" * (MAX_HOOK_BYTES + 1)
    headers = signed(body) | {"Content-Length": str(len(BODY))}

    response = app_with_hook([]).post(WEBHOOK_PATH, content=body, headers=headers)

    assert response.status_code == 413


def test_a_chunked_hook_within_the_cap_is_signed_and_accepted() -> None:
    refreshes: list[int] = []
    body = CHUNK * 2

    response = app_with_hook(refreshes).post(
        WEBHOOK_PATH, content=iter([CHUNK, CHUNK]), headers=signed(body)
    )

    assert (response.status_code, refreshes) == (202, [1])


async def test_the_hook_stops_reading_a_chunked_body_once_past_the_cap() -> None:
    # TestClient joins a generator body before the app runs, so the app is driven over ASGI
    # to see how many chunks it pulled.
    pulled: list[int] = []
    chunks = chunked(pulled)
    sent: list[Message] = []

    async def receive() -> Message:
        chunk = next(chunks, None)
        return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": WEBHOOK_PATH,
        "headers": [(b"transfer-encoding", b"chunked")],
        "query_string": b"",
    }
    await app_with_hook([]).app(scope, receive, send)

    assert sent[0]["status"] == 413
    assert len(pulled) == MAX_HOOK_BYTES // len(CHUNK) + 1


def test_without_a_secret_the_hook_is_a_write_like_any_other_405() -> None:
    app = TestClient(create_app(ReadSide(SnapshotStore(), StaticFleet(), lambda: 0)))

    assert app.post(WEBHOOK_PATH, content=BODY, headers=signed(BODY)).status_code == 405


def test_the_hook_takes_only_post() -> None:
    assert app_with_hook([]).delete(WEBHOOK_PATH).status_code == 405
