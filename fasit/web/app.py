"""The web app of `fasit serve`: the dashboard and its JSON twins, live updates, health,
readiness and the JSON status API; read-only.

Every route is GET (HEAD follows). Any other method gets 405 with a short explanation:
desired state changes by commit to the state repository, never through this server.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from fasit.web.api import releases, status
from fasit.web.dashboard import dashboard_routes
from fasit.web.live import LiveUpdates
from fasit.web.pages import Sources
from fasit.web.read import ReadSide

__all__ = ["ReadOnly", "create_app"]

_READS = frozenset({"GET", "HEAD"})


def create_app(
    read: ReadSide,
    more: Sequence[BaseRoute] = (),
    hooks: Sequence[Route] = (),
    live: LiveUpdates | None = None,
) -> ASGIApp:
    """The app over `read`, with `more` GET routes, `hooks` (the only POSTs: a webhook asks
    for a refresh, it changes no state) and `live` updates; nothing in it writes desired state.
    """

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(request: Request) -> Response:
        if read.store.ready:
            return PlainTextResponse("ready\n")
        return PlainTextResponse("not ready: no revision served yet\n", status_code=503)

    async def api_status(request: Request) -> Response:
        return status(read)

    async def api_releases(request: Request) -> Response:
        return releases(read, request)

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/api/v1/status", api_status),
        Route("/api/v1/releases", api_releases),
        *([] if live is None else [live.route()]),
        *more,
        *hooks,
        *dashboard_routes(Sources(read)),
    ]
    return ReadOnly(Starlette(routes=routes), frozenset(hook.path for hook in hooks))


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
