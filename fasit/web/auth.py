"""Who is asking: the one place that turns a request into a `Viewer` (or a 401).

`Authenticate` wraps the whole app. With no authentication configured every request is the
`OPEN` viewer, as before. With API tokens (`--api-tokens`) every route needs
`Authorization: Bearer TOKEN`, except the ones that carry their own proof or none is needed:
`/healthz`, `/readyz`, `/static/` (the stylesheet and script: no fleet data), the agents' chart
archives (agent tokens) and the git webhook (its signature). `/metrics` on this listener needs
a fleet admin's token. A missing or unknown token gets the same 401, whatever name it might
have had. With OpenID Connect sign-in (`fasit.web.signin`, another `Authenticator`), the
sign-in routes are open, and a page asked for without a (valid) session is sent to sign in;
the API still answers 401. A signed-in person whom the access file gives no tenant gets 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from fasit.charts import ARCHIVES_PATH
from fasit.web.dashboard import error_response
from fasit.web.viewer import OPEN, VIEWER_KEY, Viewer

__all__ = [
    "ADMIN_PATHS",
    "OPEN_PATHS",
    "Authenticate",
    "Authenticator",
    "BearerTokens",
    "SignInPages",
]

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


class SignInPages(Protocol):
    """Where a browser without a session goes (`fasit.web.signin.SignIn`)."""

    @property
    def prefix(self) -> str:
        """The sign-in routes' path prefix (open to everyone)."""
        ...

    def url_for(self, path: str) -> str:
        """The sign-in URL that comes back to `path`."""
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
        sign_in: SignInPages | None = None,
    ) -> None:
        self.app = app
        self.authenticators = tuple(authenticators)
        """None given: no authentication configured, everyone is `OPEN`."""
        self.own_proof = own_proof
        """Further paths that check their own proof (webhooks)."""
        self.sign_in = sign_in
        """Where browsers sign in (OpenID Connect); None: tokens only."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if not self.authenticators:
            scope[VIEWER_KEY] = OPEN
            await self.app(scope, receive, send)
            return
        if (
            path in OPEN_PATHS
            or path in self.own_proof
            or path.startswith(_OWN_PROOF_PREFIXES)
            or (self.sign_in is not None and path.startswith(self.sign_in.prefix))
        ):
            await self.app(scope, receive, send)  # no viewer: nothing there reads one
            return
        request = Request(scope)
        viewer = await self._viewer(request)
        if viewer is None and self.sign_in is not None and _is_page(request):
            target = path + (f"?{request.url.query}" if request.url.query else "")
            await RedirectResponse(self.sign_in.url_for(target), 303)(scope, receive, send)
            return
        if viewer is None:
            given = any(a.has_credentials(request) for a in self.authenticators)
            how = "send Authorization: Bearer TOKEN (an API token)"
            if self.sign_in is not None:
                how += f", or sign in at {self.sign_in.prefix}login"
            message = (
                "401: the credentials are not valid" if given else f"401: sign in first: {how}"
            )
            challenge = _CHALLENGE + (', error="invalid_token"' if given else "")
            response = error_response(request, message, 401, {"WWW-Authenticate": challenge})
            await response(scope, receive, send)
            return
        if viewer.tenants is not None and not viewer.tenants:
            message = (
                f"403: signed in as {viewer.name}, but the access file gives you no tenant;"
                " ask the fleet's admins to add one of your groups or your email"
            )
            await error_response(request, message, 403)(scope, receive, send)
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


def _is_page(request: Request) -> bool:
    """A browser's page (a GET outside /api/), not a script's call (a bearer token: a bad one
    gets its 401) nor the event stream."""
    path = request.url.path
    return (
        request.method in ("GET", "HEAD")
        and not path.startswith("/api/")
        and path not in ADMIN_PATHS
        and "authorization" not in request.headers
    )
