"""`fasit serve --api-tokens --oidc-issuer` as a process over the example fleet (tenants nav
and acme), beside a real OpenID provider: a crawl as each token and as each signed-in person,
404s across tenants, 401s, live notices per tenant, the loopback rule, /metrics, and `fasit
wait --token-file` (issue 23, items 1 to 3, and its acceptance crawl)."""

from __future__ import annotations

import contextlib
import html
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fasit.cli._serve_config import DEMO_SECRETS, DEMO_STATE
from tests.helpers import run_cli
from tests.integration.oidc.provider import CLIENT_ID, OpenIdProvider, fetch, install, sign_in
from tests.integration.processes import LOOPBACK, free_port
from tests.integration.serve.support import DEADLINE, Served, serve

CRAWL_LIMIT = 1_500
"""Pages a crawl fetches at most (the example fleet has some 300 distinct links)."""


ACCESS = """\
groups:
  nav-developers: [nav]
  acme-developers: [acme]
  fleet-admins: ["*"]
"""

Who = str | dict[str, str] | None
"""An API token, a signed-in session's cookies, or no credentials."""


@dataclass
class Tokens:
    file: Path
    nav: str
    acme: str
    admin: str
    sessions: dict[str, dict[str, str]] = field(default_factory=dict)
    """Signed-in sessions' cookies: a nav developer's, an acme developer's, a fleet admin's."""


def token(file: Path, name: str, tenants: str) -> str:
    run = run_cli("api-token", name, "--tenants", tenants, "--tokens", file)
    assert run.exit_code == 0, run.stderr
    return run.stdout.strip()


def get(served: Served, path: str, who: Who) -> tuple[int, str, dict[str, str]]:
    """status, body and headers (names in lowercase) of GET `path` as `who`; a redirect is
    answered, not followed."""
    url = f"http://{LOOPBACK}:{served.http}{path}"
    answer = fetch(url, {}, who) if isinstance(who, str) else fetch(url, who or {})
    return answer.status, answer.body, answer.headers


def got(served: Served, path: str, who: Who) -> Any:
    status, body, _ = get(served, path, who)
    assert status == 200, (path, status, body[:300])
    return json.loads(body)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Tokens, Path]]:
    """The example fleet (a copy, so a test may commit to it) with every release DEPLOYED,
    served with API tokens and with sign-in at a real OpenID provider."""
    tmp_path = tmp_path_factory.mktemp("access")
    state = tmp_path / "state"
    shutil.copytree(DEMO_STATE, state)
    file = tmp_path / "api-tokens.yaml"
    tokens = Tokens(
        file,
        token(file, "ci-nav", "nav"),
        token(file, "ci-acme", "acme"),
        token(file, "admins", "*"),
    )
    access = tmp_path / "access.yaml"
    access.write_text(ACCESS, encoding="utf-8")
    with OpenIdProvider(install()) as provider:
        served = serve(
            tmp_path,
            *("--state-dir", str(state), "--secrets-dir", str(DEMO_SECRETS)),
            "--fake-agents",
            *("--api-tokens", str(file), "--access", str(access)),
            *("--oidc-issuer", provider.issuer, "--oidc-client-id", CLIENT_ID),
        )
        try:

            def settled() -> bool:
                items = got(served, "/api/v1/releases?limit=5000", tokens.admin)["items"]
                tenants = {item["environment"].partition("/")[0] for item in items}
                done = {"DEPLOYED", "DISABLED", "KIND-MISMATCH"}
                return tenants == {"nav", "acme"} and all(i["status"] in done for i in items)

            served.until(settled, "the example fleet to settle")
            base = f"http://{LOOPBACK}:{served.http}"
            for who, group in (("nav", "nav-developers"), ("acme", "acme-developers")):
                claims = {"email": f"someone@{who}.example", "groups": [group]}
                tokens.sessions[who] = sign_in(base, provider, claims)
            admin = {"email": "root@fleet.example", "groups": ["fleet-admins"]}
            tokens.sessions["admin"] = sign_in(base, provider, admin)
            yield served, tokens, state
        finally:
            served.stop()


def crawl(served: Served, who: Who) -> dict[str, str]:
    """Every page and twin reachable from the overview by links, plus each page's JSON twin
    and each listed revision's progress: path → body. Every one must answer 200. The sign-in
    routes are not followed (sign-out would end the session)."""
    queue = ["/", "/api/v1/status", "/api/v1/releases", "/api/v1/rollouts"]
    bodies: dict[str, str] = {}
    while queue and len(bodies) < CRAWL_LIMIT:
        path = queue.pop(0)
        if path in bodies:
            continue
        status, body, _ = get(served, path, who)
        assert status == 200, (path, status, body[:300])
        bodies[path] = body
        links = [html.unescape(link) for link in re.findall(r'href="(/[^"]*)"', body)]
        if path.partition("?")[0] == "/api/v1/revisions":
            revisions = [item["revision"] for item in json.loads(body)["items"]]
            links += [f"/api/v1/revisions/{revision}/progress" for revision in revisions]
        queue += [link for link in links if not link.startswith(("/static/", "/auth/"))]
    assert len(bodies) < CRAWL_LIMIT, "the crawl did not end: a link loop?"
    return bodies


def release_paths(served: Served, bearer: str, tenant: str) -> list[str]:
    items = got(served, "/api/v1/releases?limit=5000", bearer)["items"]
    return [
        f"/environments/{item['environment']}/features/{item['feature']}"
        for item in items
        if item["environment"].startswith(tenant + "/")
    ]


@pytest.mark.parametrize(
    "signed_in", [False, True], ids=["a nav token", "a signed-in nav developer"]
)
def test_nav_crawls_every_page_and_twin_and_never_meets_acme(
    fleet: tuple[Served, Tokens, Path], signed_in: bool
) -> None:
    served, tokens, _ = fleet

    bodies = crawl(served, tokens.sessions["nav"] if signed_in else tokens.nav)

    assert any(path.startswith("/environments/nav/") for path in bodies)
    assert any("/features/" in path and path.startswith("/api/v1/environments/") for path in bodies)
    leaks = {
        path: body.lower().count("acme") for path, body in bodies.items() if "acme" in body.lower()
    }
    assert leaks == {}
    overview = json.loads(bodies["/api/v1/overview"])
    assert overview["agents"]["environments"] == 4


def test_counts_a_nav_token_sees_are_nav_counts(fleet: tuple[Served, Tokens, Path]) -> None:
    served, tokens, _ = fleet
    every = got(served, "/api/v1/releases?limit=5000", tokens.admin)["items"]
    nav = [item for item in every if item["environment"].startswith("nav/")]

    overview = got(served, "/api/v1/overview", tokens.nav)
    environments = got(served, "/api/v1/environments", tokens.nav)

    assert overview["releases"]["total"] == len(nav) < len(every)
    assert overview["agents"] == {"connected": 4, "environments": 4}
    assert environments["total"] == 4
    assert environments["tenants"] == ["nav"]
    assert got(served, "/api/v1/releases", tokens.nav)["total"] == len(nav)
    assert got(served, "/api/v1/status", tokens.nav)["agents_connected"] == 4


@pytest.mark.parametrize("signed_in", [False, True], ids=["an admin token", "a signed-in admin"])
def test_an_admin_crawls_both_tenants(fleet: tuple[Served, Tokens, Path], signed_in: bool) -> None:
    served, tokens, _ = fleet

    bodies = crawl(served, tokens.sessions["admin"] if signed_in else tokens.admin)

    assert any(path.startswith("/environments/nav/") for path in bodies)
    assert any(path.startswith("/environments/acme/") for path in bodies)
    overview = json.loads(bodies["/api/v1/overview"])
    assert overview["agents"]["environments"] == 8


@pytest.mark.parametrize(
    "signed_in", [False, True], ids=["an acme token", "a signed-in acme developer"]
)
def test_acme_gets_404_on_every_nav_url(
    fleet: tuple[Served, Tokens, Path], signed_in: bool
) -> None:
    served, tokens, _ = fleet
    acme = tokens.sessions["acme"] if signed_in else tokens.acme
    nav_paths = [p for p in crawl(served, tokens.nav) if "/nav/" in p or "environment=nav" in p]
    nav_paths = [p for p in nav_paths if "?" not in p]
    assert len(nav_paths) > 10

    answers = {path: get(served, path, acme)[0] for path in nav_paths}

    assert set(answers.values()) == {404}, answers
    assert got(served, "/api/v1/releases?environment=nav/dev", acme)["total"] == 0


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        pytest.param("/api/v1/overview", "application/json", id="a twin answers JSON"),
        pytest.param("/api/v1/events", "application/json", id="the event stream answers JSON"),
        pytest.param("/metrics", "text/html", id="metrics answers too"),
    ],
)
def test_without_a_token_every_route_answers_401_with_a_bearer_challenge(
    fleet: tuple[Served, Tokens, Path], path: str, kind: str
) -> None:
    served, _, _ = fleet

    status, body, headers = get(served, path, None)

    assert status == 401
    assert headers["www-authenticate"] == 'Bearer realm="fasit"'
    assert headers["content-type"].startswith(kind)
    assert "Authorization: Bearer" in body


def test_without_credentials_a_page_sends_the_browser_to_sign_in(
    fleet: tuple[Served, Tokens, Path],
) -> None:
    served, _, _ = fleet

    status, _, headers = get(served, "/environments", None)

    assert status == 303
    assert headers["location"] == "/auth/login?next=%2Fenvironments"


def test_a_page_asked_for_with_a_bad_token_answers_401_not_a_redirect(
    fleet: tuple[Served, Tokens, Path],
) -> None:
    served, _, _ = fleet

    status, body, _ = get(served, "/environments", "not-a-token")

    assert status == 401
    assert "401: the credentials are not valid" in body


def test_a_bad_token_answers_401_without_saying_whether_a_name_exists(
    fleet: tuple[Served, Tokens, Path],
) -> None:
    served, _, _ = fleet

    unknown = get(served, "/api/v1/status", "not-a-token")
    named = get(served, "/api/v1/status", "ci-nav")

    assert unknown[0] == named[0] == 401
    assert unknown[1] == named[1] == '{"error":"401: the credentials are not valid"}'
    assert unknown[2]["www-authenticate"] == 'Bearer realm="fasit", error="invalid_token"'


def test_health_and_readiness_stay_open(fleet: tuple[Served, Tokens, Path]) -> None:
    served, _, _ = fleet

    assert get(served, "/healthz", None)[0] == 200
    assert get(served, "/readyz", None)[0] == 200


def test_metrics_on_the_main_listener_need_an_admin_token(
    fleet: tuple[Served, Tokens, Path],
) -> None:
    served, tokens, _ = fleet

    assert get(served, "/metrics", tokens.nav)[0] == 403
    status, body, _ = get(served, "/metrics", tokens.admin)
    assert status == 200
    assert "fasit_revision_info" in body


def read_events(served: Served, who: Who) -> tuple[socket.socket, bytearray]:
    stream = socket.create_connection((LOOPBACK, served.http), timeout=DEADLINE)
    if isinstance(who, str):
        credentials = f"Authorization: Bearer {who}"
    else:
        credentials = "Cookie: " + "; ".join(f"{k}={v}" for k, v in (who or {}).items())
    request = f"GET /api/v1/events HTTP/1.1\r\nHost: fasit\r\n{credentials}\r\n\r\n"
    stream.sendall(request.encode())
    received = bytearray()
    while b"event: hello" not in received:
        received += stream.recv(4096)
    return stream, received


def test_live_notices_of_a_nav_change_never_reach_an_acme_session(
    fleet: tuple[Served, Tokens, Path],
) -> None:
    served, tokens, state = fleet
    nav_stream, nav_seen = read_events(served, tokens.nav)
    acme_stream, acme_seen = read_events(served, tokens.sessions["acme"])
    acme_stream.setblocking(False)
    nav_before = json.dumps(got(served, "/api/v1/environments/nav/prod", tokens.nav))
    acme_before = got(served, "/api/v1/environments/acme/dev", tokens.acme)["releases"]
    acme_served = got(served, "/api/v1/overview", tokens.acme)["served"]

    # A feature no Rollout holds back: a Rollout's waves may span tenants, and then one
    # tenant's releases wait (and say they wait) on another's (docs/access.md).
    config = state / "configs" / "aivenator" / "nav-prod.yaml"
    config.write_text(config.read_text().replace("logLevel: warn", "logLevel: debug"))

    while b"event: change" not in nav_seen:  # bounded by the socket's timeout
        nav_seen += nav_stream.recv(4096)
    served.until(
        lambda: (
            json.dumps(got(served, "/api/v1/environments/nav/dev", tokens.nav)) != nav_before
            and all(
                r["status"] == "DEPLOYED"
                for r in got(served, "/api/v1/environments/nav/dev", tokens.nav)["releases"]
            )
        ),
        "nav/prod to redeploy its new values",
    )
    time.sleep(2.0)  # past several notice intervals (0.5 s): a notice for acme would be sent
    with contextlib.suppress(BlockingIOError):  # nothing to read: nothing was sent
        acme_seen += acme_stream.recv(65536)
    nav_stream.close()
    acme_stream.close()

    assert b"event: change" not in acme_seen, acme_seen.decode()
    assert got(served, "/api/v1/environments/acme/dev", tokens.acme)["releases"] == acme_before
    assert got(served, "/api/v1/overview", tokens.acme)["served"] == acme_served  # nav's commit
    assert got(served, "/api/v1/overview", tokens.nav)["served"] != acme_served


def test_the_token_file_is_reloaded_and_a_bad_edit_keeps_the_last_good_one(
    fleet: tuple[Served, Tokens, Path],
) -> None:
    served, tokens, _ = fleet
    late = token(tokens.file, "late-comer", "acme")
    served.until(lambda: get(served, "/api/v1/status", late)[0] == 200, "the new token to count")
    good = tokens.file.read_text(encoding="utf-8")

    tokens.file.write_text(good + "broken: {hash: nope, tenants: []}\n", encoding="utf-8")
    time.sleep(1.5)  # past the file's recheck interval (1 s)

    try:
        assert get(served, "/api/v1/status", late)[0] == 200
        assert get(served, "/api/v1/status", tokens.nav)[0] == 200
        log = served.log.read_text(encoding="utf-8")
        assert log.count("API token file not reloaded") == 1
        assert "api-tokens.yaml:" in log
    finally:
        tokens.file.write_text(good, encoding="utf-8")


def test_fasit_wait_with_a_token_file_follows_a_protected_server(
    fleet: tuple[Served, Tokens, Path], tmp_path: Path
) -> None:
    served, tokens, _ = fleet
    revision = got(served, "/api/v1/status", tokens.admin)["served"]["revision"]
    token_file = tmp_path / "token"
    token_file.write_text(tokens.nav + "\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "fasit",
        "wait",
        "--server",
        f"http://{LOOPBACK}:{served.http}",
    ]

    allowed = subprocess.run(
        [*command, "--token-file", str(token_file), "--revision", revision, "--timeout", "50s"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    refused = subprocess.run(
        [*command, "--revision", revision], capture_output=True, text=True, timeout=60, check=False
    )

    assert allowed.returncode == 0, allowed.stderr
    assert refused.returncode == 2
    assert "refused the request (401)" in refused.stderr


def test_a_non_loopback_address_without_authentication_is_refused(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            *(sys.executable, "-m", "fasit", "serve", "--http-addr", f"0.0.0.0:{free_port()}"),
            *("--status-db", str(tmp_path / "status.db")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1
    assert "is not a loopback address and no authentication is configured" in run.stderr
    assert "--api-tokens" in run.stderr
    assert "--insecure-open-dashboard" in run.stderr


def test_the_insecure_flag_serves_a_non_loopback_address_all_the_same(tmp_path: Path) -> None:
    http = free_port()
    served = serve(
        tmp_path,
        "--http-addr",
        f"0.0.0.0:{http}",
        "--insecure-open-dashboard",
        ports=(http, free_port()),
    )
    try:
        assert get(served, "/api/v1/overview", None)[0] == 200
    finally:
        served.stop()


def test_metrics_on_their_own_listener_need_no_token_and_leave_the_main_one(
    tmp_path: Path,
) -> None:
    file = tmp_path / "api-tokens.yaml"
    admin = token(file, "admins", "*")
    metrics_port = free_port()
    served = serve(
        tmp_path, "--api-tokens", str(file), "--metrics-addr", f"{LOOPBACK}:{metrics_port}"
    )
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{metrics_port}/metrics", timeout=10) as r:
            assert "fasit_revision_info" in r.read().decode()
        assert get(served, "/metrics", admin)[0] == 404
    finally:
        served.stop()
