"""The dashboard: server-rendered pages, each with a JSON twin under /api/v1/ built from the
same dictionary (pages/), plus the stylesheet and the small script that follows live updates.

Everything from the state repository is user input: Jinja2 escapes every value it renders,
and the Content-Security-Policy allows only this server's own script and stylesheet, so a
label holding markup or a script renders as text and could not run even if it slipped out.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from fasit.web.cells import matrix_rows
from fasit.web.live import EVENTS_PATH
from fasit.web.pages import (
    Scopes,
    Sources,
    environment_page,
    environments_page,
    feature_page,
    features_page,
    matrix_page,
    overview_page,
    release_page,
    revisions_page,
    rollouts_page,
)
from fasit.web.query import BadQuery, NotFound
from fasit.web.viewer import viewer_of

__all__ = ["PAGES", "SECURITY_HEADERS", "dashboard_routes", "error_response", "page_response"]

PageData = Callable[[Sources, Request], Awaitable[dict[str, object]]]

_HERE = Path(__file__).parent
_RELEASE = "/environments/{tenant}/{name}/features/{feature}"

PAGES: tuple[tuple[str, PageData, str], ...] = (
    ("/", overview_page, "overview.html"),
    ("/features", features_page, "features.html"),
    ("/features/{feature}", feature_page, "feature.html"),
    ("/environments", environments_page, "environments.html"),
    ("/environments/{tenant}/{name}", environment_page, "environment.html"),
    (_RELEASE, release_page, "release.html"),
    ("/revisions", revisions_page, "revisions.html"),
    ("/rollouts", rollouts_page, "rollouts.html"),
    ("/matrix", matrix_page, "matrix.html"),
)
"""(path, data, template): the page at `path`, its JSON twin at /api/v1 + path (the overview's
at /api/v1/overview)."""

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def dashboard_routes(scopes: Scopes) -> list[BaseRoute]:
    """Every page, its JSON twin, and /static; each request reads its viewer's sources."""
    templates = _templates()
    routes: list[BaseRoute] = []
    for path, data, template in PAGES:
        routes.append(Route(path, _html(scopes, data, templates.get_template(template))))
        routes.append(Route(_twin(path), _json(scopes, data)))
    routes.append(Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"))
    return routes


def _twin(path: str) -> str:
    return "/api/v1/overview" if path == "/" else "/api/v1" + path


def _html(
    scopes: Scopes, data: PageData, template: jinja2.Template
) -> Callable[[Request], Awaitable[Response]]:
    async def page(request: Request) -> Response:
        try:
            found = await data(scopes.of(viewer_of(request)), request)
        except (BadQuery, NotFound) as exc:
            return error_response(request, str(exc), _status_of(exc))
        body = template.render(page=found, request=request, twin=_twin_url(request))
        return HTMLResponse(body, headers=SECURITY_HEADERS)

    return page


def _json(scopes: Scopes, data: PageData) -> Callable[[Request], Awaitable[Response]]:
    async def twin(request: Request) -> Response:
        try:
            return JSONResponse(await data(scopes.of(viewer_of(request)), request))
        except (BadQuery, NotFound) as exc:
            return error_response(request, str(exc), _status_of(exc))

    return twin


def error_response(
    request: Request, message: str, status: int, headers: Mapping[str, str] | None = None
) -> Response:
    """`message` (our own words) with `status`: `{"error": message}` under /api/, else a page."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    return page_response(request, "error.html", status, headers, message=message)


def page_response(
    request: Request,
    template: str,
    status: int,
    headers: Mapping[str, str] | None = None,
    **context: object,
) -> Response:
    """A page of its own (no JSON twin) from `template`, with the dashboard's headers."""
    body = (
        _templates()
        .get_template(template)
        .render(request=request, twin=None, status=status, **context)
    )
    return HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def _status_of(error: BadQuery | NotFound) -> int:
    return 404 if isinstance(error, NotFound) else 400


def _twin_url(request: Request) -> str:
    query = request.url.query
    return _twin(request.url.path) + (f"?{query}" if query else "")


@functools.cache
def _templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        # Templates ship with the package and never change while serving: no stat of each
        # template file on every render (on the event loop).
        auto_reload=False,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = _when
    environment.filters["path"] = _path
    environment.filters["pretty"] = _pretty
    environment.globals["with_query"] = _with_query
    environment.globals["events_path"] = EVENTS_PATH
    environment.globals["matrix_rows"] = matrix_rows
    return environment


def _when(text: str | None) -> str:
    """An ISO time as people read it: `2026-11-21 09:30:05 UTC`."""
    if not text:
        return "—"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _pretty(value: object) -> str:
    """A value as indented JSON text (escaped by the template like any text)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _path(text: str) -> str:
    """A name (an environment id keeps its slash) as a root-relative URL path part."""
    return quote(text, safe="/")


def _with_query(request: Request, **changes: object) -> str:
    """This page's root-relative URL with some query parameters changed (None removes)."""
    query: list[tuple[str, str]] = [
        (key, value) for key, value in request.query_params.multi_items() if key not in changes
    ]
    query.extend((key, str(value)) for key, value in changes.items() if value is not None)
    return request.url.path + (f"?{urlencode(query)}" if query else "")
