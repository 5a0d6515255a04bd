"""Fuzzing the HTTP routes: generated methods, paths, query strings and headers, straight into
the ASGI app of `fasit serve` (the dashboard, its twins, the status API, /metrics, /healthz,
/readyz and the webhook) over a served snapshot, plan and release views.

Never a 500 (an exception would surface here), never a write (every method but GET and HEAD
is 405, the webhook's signed POST aside, and the hook is never triggered unsigned), and no
body echoes Python's exception text. ASGI directly, not an HTTP client: the bytes of the query
string and headers, and the decoded path, arrive as a server would pass them, unnormalized.
"""

from __future__ import annotations

import asyncio
import re
import string
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from starlette.types import ASGIApp, Message

from fasit.reconcile import Reason, ReleaseView, Status
from fasit.state import SnapshotStore
from fasit.web import ReadSide, create_app
from fasit.web.metrics import FasitMetrics
from fasit.web.webhook import WEBHOOK_PATH, webhook_route
from tests import states
from tests.fuzzing import examples
from tests.unit.web.support import StaticFleet

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
READS = {"GET", "HEAD"}
_PYTHON_ERROR = re.compile(
    r"Traceback \(most recent call last\)|File \"/|\b[A-Z][A-Za-z]*(?:Error|Exception)\b"
)

# What uvicorn's h11 protocol lets through (h11's ABNF): a method is a token, the target is
# printable ASCII (anything else percent-encoded), a header name is a token and its value any
# bytes but NUL, CR and LF, without leading or trailing blanks.
_VCHAR = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
_TOKEN_CHARS = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
_TOKEN = st.text(st.sampled_from(_TOKEN_CHARS), min_size=1, max_size=10)
_SEGMENTS = st.one_of(
    st.sampled_from(("nav", "dev", "web", "features", "environments", "api", "v1", "static")),
    st.sampled_from(("..", ".", "", "%2e%2e", "%2F", "%00", "%ff", "~", "*", "app.js")),
    st.text(max_size=12).map(lambda text: quote(text, safe="")),
    st.text(_VCHAR, max_size=12).map(lambda text: text.replace("?", "").replace("/", "")),
)
_PATHS = st.one_of(
    st.sampled_from(
        (
            "/",
            "/features",
            "/features/web",
            "/environments",
            "/environments/nav/dev",
            "/environments/nav/dev/features/web",
            "/revisions",
            "/api/v1/overview",
            "/api/v1/features/web",
            "/api/v1/environments/nav/dev/features/web",
            "/api/v1/status",
            "/api/v1/releases",
            "/healthz",
            "/readyz",
            "/metrics",
            "/static/app.js",
            WEBHOOK_PATH,
        )
    ),
    st.lists(_SEGMENTS, max_size=7).map(lambda parts: "/" + "/".join(parts)),
)
_QUERY_KEYS = st.sampled_from(
    ("page", "per_page", "status", "label", "feature", "environment", "kind", "reason", "q", "")
)
_QUERY_VALUES = st.one_of(
    st.sampled_from(("1", "0", "-1", "1000", "1001", "9" * 5000, "failed", "FAILED", "a=b", "=")),
    st.sampled_from(("%ff", "%", "%%", "%zz", "%00", "%e9", "+", "&&", "a;b")),
    st.text(max_size=20).map(lambda text: quote(text, safe="")),
)
_QUERIES = st.one_of(
    st.lists(st.tuples(_QUERY_KEYS, _QUERY_VALUES), max_size=5).map(
        lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)
    ),
    st.text(_VCHAR, max_size=40),
)
_HEADER_NAMES = st.one_of(
    st.sampled_from(
        (
            "accept",
            "accept-encoding",
            "accept-language",
            "content-type",
            "content-length",
            "cookie",
            "host",
            "if-none-match",
            "if-modified-since",
            "range",
            "referer",
            "x-forwarded-for",
            "x-hub-signature-256",
            "transfer-encoding",
            "connection",
        )
    ),
    _TOKEN.map(str.lower),
).map(str.encode)
_HEADER_VALUES = st.one_of(
    st.sampled_from(
        (
            b"text/html",
            b"application/json",
            b"*/*",
            b"gzip",
            b"bytes=0-1",
            b"bytes=5-1,9-",
            b"-1",
            b"99999999999999999999",
            b"sha256=00",
            b"chunked",
            b"",
            b"\xff\xfe",
        )
    ),
    st.binary(max_size=40).map(
        lambda value: value.replace(b"\0", b"").replace(b"\r", b"").replace(b"\n", b"").strip()
    ),
)
_KNOWN_METHODS = st.sampled_from(
    ("GET",) * 6 + ("HEAD",) * 2 + ("POST", "PUT", "PATCH", "DELETE", "OPTIONS")
)
_METHODS = st.integers(0, 3).flatmap(lambda n: _TOKEN if n == 0 else _KNOWN_METHODS)


class _App:
    """The app as `fasit serve` builds it (the live-update stream aside: it never ends), and
    how often the webhook asked for a refresh."""

    def __init__(self, root: Path) -> None:
        files = states.state(
            states.environment("nav", "dev", values={"key": {"secretRef": "dev-key"}}),
            states.feature("web"),
            states.chart("web", "1.0.0"),
            states.assignment("web", "1.0.0", {}),
        )
        built = states.build(root, files)
        self.store = SnapshotStore()
        self.store.offer(built.snapshot)
        self.served = self.store.current
        view = ReleaseView(
            "nav/dev", "web", Status.FAILED, Reason.UNCHANGED, "1.0.0", "1.0.0", "boom", AT
        )
        read = ReadSide(
            self.store,
            StaticFleet([view]),
            lambda: 1,
            planned=lambda: (built.snapshot, built.plan),
        )
        self.refreshes = 0
        hook = webhook_route(b"secret", self._refresh)
        self.asgi: ASGIApp = create_app(read, [FasitMetrics(read).route()], [hook])

    def _refresh(self) -> None:
        self.refreshes += 1


async def _request(
    app: ASGIApp, method: str, target: str, headers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes]:
    """One request as uvicorn's h11 protocol passes it (an empty body); status and body."""
    raw_path, _, query = target.encode("ascii").partition(b"?")
    path = unquote(raw_path.decode("ascii"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
    }
    sent: list[Message] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays: nothing more to read
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), 30)
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> _App:
    return _App(tmp_path_factory.mktemp("state"))


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as running:
        yield running


@settings(max_examples=examples(400))
@given(
    method=_METHODS,
    path=_PATHS,
    query=_QUERIES,
    headers=st.lists(st.tuples(_HEADER_NAMES, _HEADER_VALUES), max_size=5),
)
@example(method="GET", path="/api/v1/releases", query="page=" + "9" * 5000, headers=[])
@example(method="POST", path=WEBHOOK_PATH, query="", headers=[(b"content-length", b"-1")])
@example(method="GET", path="/static/%2e%2e/read.py", query="", headers=[])
@example(method="GET", path="/features/%ff", query="status=%ff", headers=[])
def test_any_request_is_answered_without_a_500_a_write_or_python_error_text(
    app: _App,
    runner: asyncio.Runner,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[bytes, bytes]],
) -> None:
    target = f"{path}?{query}" if query else path
    status, body = runner.run(_request(app.asgi, method, target, headers))

    event(f"status {status}")
    assert status < 500, (status, body[:500])
    if method not in READS and not (method == "POST" and unquote(path) == WEBHOOK_PATH):
        assert status == 405
    assert app.refreshes == 0
    assert app.store.current is app.served
    assert len(app.store.history) == 1
    assert not _PYTHON_ERROR.search(body.decode("utf-8", "replace")), body[:500]
