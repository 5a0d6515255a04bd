"""Who is asking: the one place that turns a request into a `Viewer` (or a 401).

`Authenticate` wraps the whole app. With no authentication configured every request is the
`OPEN` viewer, as before. With API tokens (`--api-tokens`) every route needs
`Authorization: Bearer TOKEN`, except the ones that carry their own proof or none is needed:
`/healthz`, `/readyz`, `/static/` (the stylesheet and script: no fleet data), the agents' chart
archives (agent tokens) and the git webhook (its signature). `/metrics` on this listener needs
a fleet admin's token. A missing or unknown token gets the same 401, whatever name it might
have had. OpenID Connect sign-in (issue 23, item 1) is meant to be another `Authenticator`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from fasit.charts import ARCHIVES_PATH
from fasit.web.dashboard import error_response
from fasit.web.viewer import OPEN, VIEWER_KEY, Viewer

__all__ = ["ADMIN_PATHS", "OPEN_PATHS", "Authenticate", "Authenticator", "BearerTokens"]

OPEN_PATHS = frozenset({"/healthz", "/readyz"})
_OWN_PROOF_PREFIXES = (ARCHIVES_PATH + "/", "/static/")
ADMIN_PATHS = frozenset({"/metrics"})
_CHALLENGE = 'Bearer realm="fasit"'


class Authenticator(Protocol):
    """Finds the viewer a request's credentials stand for."""

    def has_credentials(self, connection: HTTPConnection) -> bool:
        """Whether the request carries credentials of this kind at all."""
        ...

    async def viewer(self, connection: HTTPConnection) -> Viewer | None:
        """The viewer; None when the credentials are not valid."""
        ...


class BearerTokens:
    """`Authorization: Bearer TOKEN`, looked up in the API token file."""

    def __init__(self, tokens: _Tokens) -> None:
        self._tokens = tokens

    def has_credentials(self, connection: HTTPConnection) -> bool:
        return _bearer(connection) is not None

    async def viewer(self, connection: HTTPConnection) -> Viewer | None:
        token = _bearer(connection)
        return None if not token else await self._tokens.viewer(token)


class _Tokens(Protocol):
    async def viewer(self, token: str) -> Viewer | None: ...


def _bearer(connection: HTTPConnection) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class Authenticate:
    """Sets the request's viewer, or answers 401 (403 for /metrics without an admin token)."""

    def __init__(
        self,
        app: ASGIApp,
        authenticators: Sequence[Authenticator] = (),
        own_proof: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.authenticators = tuple(authenticators)
        """None given: no authentication configured, everyone is `OPEN`."""
        self.own_proof = own_proof
        """Further paths that check their own proof (webhooks)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if not self.authenticators:
            scope[VIEWER_KEY] = OPEN
            await self.app(scope, receive, send)
            return
        if path in OPEN_PATHS or path in self.own_proof or path.startswith(_OWN_PROOF_PREFIXES):
            await self.app(scope, receive, send)  # no viewer: nothing there reads one
            return
        request = Request(scope)
        viewer = await self._viewer(request)
        if viewer is None:
            given = any(a.has_credentials(request) for a in self.authenticators)
            message = (
                "401: the credentials are not valid"
                if given
                else "401: sign in first: send Authorization: Bearer TOKEN (an API token)"
            )
            challenge = _CHALLENGE + (', error="invalid_token"' if given else "")
            response = error_response(request, message, 401, {"WWW-Authenticate": challenge})
            await response(scope, receive, send)
            return
        if path in ADMIN_PATHS and not viewer.is_admin:
            response = error_response(request, "403: /metrics needs a fleet admin's token", 403)
            await response(scope, receive, send)
            return
        scope[VIEWER_KEY] = viewer
        await self.app(scope, receive, send)

    async def _viewer(self, request: Request) -> Viewer | None:
        for authenticator in self.authenticators:
            if authenticator.has_credentials(request):
                return await authenticator.viewer(request)
        return None
