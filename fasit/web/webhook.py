"""The git webhook: `POST /api/v1/hooks/git`, signed as GitHub signs (X-Hub-Signature-256).

A good signature makes the source look for a new revision now instead of at its next poll;
nothing else. Repeated hooks coalesce (the source polls once for any number of them), and
the body is not read for content: what is served still comes only from the repository.

The body is streamed against `MAX_HOOK_BYTES` whatever its framing (a `Content-Length`, a
chunked body, a length that lies): the hook answers 413 as soon as the cap is passed, never
holds more than the cap, and signs only what the cap let through.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from contextlib import aclosing

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

__all__ = ["MAX_HOOK_BYTES", "WEBHOOK_PATH", "webhook_route"]

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/v1/hooks/git"
MAX_HOOK_BYTES = 1_048_576
_PREFIX = "sha256="


def webhook_route(secret: bytes, refresh: Callable[[], None]) -> Route:
    """The webhook, verifying each body's HMAC-SHA256 under `secret` before `refresh()`."""

    async def hook(request: Request) -> Response:
        body = await _capped_body(request)
        if body is None:
            # The rest of the body stays unread, so the connection cannot carry another request.
            return PlainTextResponse(
                f"payload over {MAX_HOOK_BYTES} bytes\n", 413, headers={"Connection": "close"}
            )
        signature = request.headers.get("x-hub-signature-256", "")
        expected = _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            logger.warning("git webhook refused: bad or missing X-Hub-Signature-256")
            return PlainTextResponse("bad or missing X-Hub-Signature-256\n", 401)
        refresh()
        return PlainTextResponse("refreshing\n", 202)

    return Route(WEBHOOK_PATH, hook, methods=["POST"])


async def _capped_body(request: Request) -> bytes | None:
    """The body, or None as soon as it passes `MAX_HOOK_BYTES` (the rest is never read)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_HOOK_BYTES):
        return None
    body = bytearray()
    # Counting the bytes that arrive, not trusting the header: chunked bodies have no length.
    async with aclosing(request.stream()) as chunks:
        async for chunk in chunks:
            if len(body) + len(chunk) > MAX_HOOK_BYTES:
                return None
            body += chunk
    return bytes(body)
