"""`GET /charts/sha256:<hex>.tgz`: the in-repo chart archives agents install (docs/charts.md).

`chart_route` is mounted by `fasit serve` beside its other routes. It answers from a
`ChartArchives` that the reconciler fills as it sends instructions, to any agent whose token is
in the token file. Archives are content-addressed, so a response never goes stale.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from fasit.agents import TokenFile
from fasit.charts import ARCHIVES_PATH, ChartArchives, archive_digest

__all__ = ["chart_route"]

logger = logging.getLogger(__name__)

_IMMUTABLE = "private, max-age=31536000, immutable"
"""An archive's address is its digest; private: it was fetched with a token."""


def chart_route(archives: ChartArchives, tokens: TokenFile) -> Route:
    """The route serving `archives` to agents presenting a token of `tokens`."""

    async def serve_archive(request: Request) -> Response:
        if not await _is_agent(request, tokens):
            logger.warning("chart archive refused: no valid agent token")
            return PlainTextResponse(
                "a valid agent token is required (Authorization: Bearer <token>)\n",
                401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        name = request.path_params["name"]
        digest = archive_digest(name)
        if digest is None:
            return PlainTextResponse(f"{name!r} is not sha256:<64 lowercase hex>.tgz\n", 400)
        archive = archives.archive(digest)
        if archive is None:
            logger.info("chart archive not held", extra={"digest": digest})
            return PlainTextResponse(f"no chart archive {digest} here\n", 404)
        headers = {"ETag": f'"{digest}"', "Cache-Control": _IMMUTABLE}
        return Response(archive, media_type="application/gzip", headers=headers)

    return Route(f"{ARCHIVES_PATH}/{{name}}", serve_archive, methods=["GET"], name="chart-archive")


async def _is_agent(request: Request, tokens: TokenFile) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and await tokens.lookup(token.strip()) is not None
