"""The web app of `fasit serve`: the dashboard and its JSON twins, live updates, health,
readiness and the JSON status API; read-only.

Every route is GET (HEAD follows). Any other method gets 405 with a short explanation:
desired state changes by commit to the state repository, never through this server. A status
store that cannot be read makes any page that needs it answer 503 (the store logs the cause).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from fasit.errors import StatusUnavailable
from fasit.web.api import progress, releases, replicas, status
from fasit.web.auth import Authenticate, Authenticator
from fasit.web.dashboard import dashboard_routes, error_response
from fasit.web.live import LiveUpdates
from fasit.web.pages import Scopes
from fasit.web.read import ReadSide
from fasit.web.signin import SignIn
from fasit.web.viewer import viewer_of

__all__ = ["STATUS_UNAVAILABLE", "ReadOnly", "create_app"]

_READS = frozenset({"GET", "HEAD"})


def create_app(
    read: ReadSide,
    more: Sequence[BaseRoute] = (),
    hooks: Sequence[Route] = (),
    live: LiveUpdates | None = None,
    *,
    authenticators: Sequence[Authenticator] = (),
    scopes: Scopes | None = None,
    sign_in: SignIn | None = None,
) -> ASGIApp:
    """The app over `read`, with `more` GET routes, `hooks` (the only POSTs: a webhook asks
    for a refresh, it changes no state) and `live` updates; nothing in it writes desired state.
    With `authenticators`, every request but health, readiness and the routes with their own
    proof needs credentials, and each viewer reads only its part (`scopes`) of `read`;
    `sign_in` adds OpenID Connect sign-in (its routes, and its session as an authenticator).
    """
    scopes = scopes or Scopes(read)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(request: Request) -> Response:
        if read.store.ready:
            return PlainTextResponse("ready\n")
        return PlainTextResponse("not ready: no revision served yet\n", status_code=503)

    async def api_status(request: Request) -> Response:
        return status(scopes.of(viewer_of(request)).read)

    async def api_releases(request: Request) -> Response:
        return releases(scopes.of(viewer_of(request)).read, request)

    async def api_replicas(request: Request) -> Response:
        return replicas(scopes.of(viewer_of(request)).read)

    async def api_progress(request: Request) -> Response:
        sources = scopes.of(viewer_of(request))
        return progress(sources.read, request, sources.index)

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/api/v1/status", api_status),
        Route("/api/v1/releases", api_releases),
        Route("/api/v1/replicas", api_replicas),
        Route("/api/v1/revisions/{revision}/progress", api_progress),
        *([] if live is None else [live.route()]),
        *more,
        *hooks,
        *([] if sign_in is None else sign_in.routes()),
        *dashboard_routes(scopes),
    ]
    handlers = {StatusUnavailable: _status_unavailable}
    app = Starlette(routes=routes, exception_handlers=handlers)
    hook_paths = frozenset(hook.path for hook in hooks)
    if sign_in is not None:
        authenticators = [*authenticators, sign_in]
    return ReadOnly(Authenticate(app, authenticators, hook_paths, sign_in), hook_paths)


STATUS_UNAVAILABLE: Final = (
    "the status store (decision and deploy history) cannot be read right now;"
    " the server log says why"
)


async def _status_unavailable(request: Request, exc: Exception) -> Response:
    # The store logged the cause once, when reads began to fail; a request is not news.
    return error_response(request, STATUS_UNAVAILABLE, 503, {"Retry-After": "30"})


class ReadOnly:
    """Answers every method but GET and HEAD with 405 (webhooks aside), before any route."""

    def __init__(self, app: ASGIApp, hooks: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.hooks = hooks
        """Paths that take POST (webhooks); every other write is refused."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in _READS
            and not (scope["method"] == "POST" and scope["path"] in self.hooks)
        ):
            response = PlainTextResponse(
                "405: this server is read-only; change the state repository instead\n",
                status_code=405,
                headers={"Allow": "GET, HEAD"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
