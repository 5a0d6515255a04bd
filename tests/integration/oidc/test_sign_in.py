"""`fasit serve --oidc-issuer` against a real OpenID provider on 127.0.0.1: sign-in through
the authorization code flow with PKCE, what a session sees, the ID tokens that are refused
(forged, expired, another sign-in's nonce, another client's, another issuer's), a forged
callback, sign-out (here only, or at the provider too), and the provider's key rotation
(issue 23, item 1)."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.integration.oidc.provider import CLIENT_ID, OpenIdProvider, fetch, remember, sign_in
from tests.integration.processes import LOOPBACK
from tests.integration.serve.support import EXAMPLE_SECRETS, Served, copy_example, serve

ACCESS = """\
groups:
  nav-developers: [nav]
  fleet-admins: ["*"]
emails:
  kari@acme.example: [acme]
"""
NAV = {"email": "ola@nav.example", "groups": ["nav-developers"]}
ADMIN = {"email": "root@fleet.example", "groups": ["fleet-admins"]}


@dataclass
class Dashboard:
    served: Served
    base: str
    secret: str


@pytest.fixture(scope="module")
def dashboard(
    provider: OpenIdProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    yield from _dashboard(provider, tmp_path_factory)


@pytest.fixture(scope="module")
def signing_out_at_provider(
    provider: OpenIdProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    yield from _dashboard(provider, tmp_path_factory, "--oidc-sign-out-at-provider")


def _dashboard(
    provider: OpenIdProvider, tmp_path_factory: pytest.TempPathFactory, *extra: str
) -> Iterator[Dashboard]:
    tmp_path = tmp_path_factory.mktemp("sign-in")
    access = tmp_path / "access.yaml"
    access.write_text(ACCESS, encoding="utf-8")
    secret = tmp_path / "client-secret"
    secret.write_text(secrets.token_urlsafe(24) + "\n", encoding="utf-8")
    served = serve(
        tmp_path,
        *("--state-dir", str(copy_example(tmp_path)), "--secrets-dir", str(EXAMPLE_SECRETS)),
        "--fake-agents",
        *("--oidc-issuer", provider.issuer, "--oidc-client-id", CLIENT_ID),
        *("--oidc-client-secret-file", str(secret), "--access", str(access)),
        *extra,
    )
    try:
        yield Dashboard(served, f"http://{LOOPBACK}:{served.http}", secret.read_text().strip())
    finally:
        served.stop()


def get(dashboard: Dashboard, path: str, cookies: dict[str, str]) -> tuple[int, str, str]:
    answer = fetch(dashboard.base + path, cookies)
    return answer.status, answer.location, answer.body


def callback_with(
    dashboard: Dashboard, provider: OpenIdProvider, claims: dict[str, object], spoil: str
) -> tuple[int, str, dict[str, str]]:
    """Sign in with the next ID token spoiled: the callback's status, body and cookies."""
    provider.next_sign_in(claims, spoil)
    cookies: dict[str, str] = {}
    started = fetch(dashboard.base + "/auth/login", {})
    remember(cookies, started.set_cookies)
    callback = fetch(fetch(started.location, {}).location, cookies)
    remember(cookies, callback.set_cookies)
    return callback.status, callback.body, cookies


def test_a_page_without_a_session_redirects_to_sign_in_and_back(dashboard: Dashboard) -> None:
    status, location, _ = get(dashboard, "/features?tenant=nav", {})

    assert status == 303
    assert location == "/auth/login?next=%2Ffeatures%3Ftenant%3Dnav"


def test_the_api_without_credentials_answers_401_naming_both_ways_in(
    dashboard: Dashboard,
) -> None:
    status, _, body = get(dashboard, "/api/v1/overview", {})

    assert status == 401
    assert json.loads(body)["error"] == (
        "401: sign in first: send Authorization: Bearer TOKEN (an API token),"
        " or sign in at /auth/login"
    )


def test_sign_in_asks_for_a_code_with_pkce_and_a_nonce(
    dashboard: Dashboard, provider: OpenIdProvider
) -> None:
    started = fetch(dashboard.base + "/auth/login", {})

    asked = urllib.parse.urlsplit(started.location)
    query = dict(urllib.parse.parse_qsl(asked.query))
    assert started.status == 303
    assert f"{asked.scheme}://{asked.netloc}" == provider.issuer
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == dashboard.base + "/auth/callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["nonce"]) >= 43
    assert len(query["state"]) >= 43
    assert query["scope"] == "openid email profile"
    (attempt,) = started.set_cookies
    assert "HttpOnly" in attempt
    assert "SameSite=Lax" in attempt
    assert "Max-Age=600" in attempt
    assert "Secure" not in attempt  # plain http on loopback: a browser would drop it


def test_a_signed_in_nav_developer_sees_only_nav(
    dashboard: Dashboard, provider: OpenIdProvider
) -> None:
    cookies = sign_in(dashboard.base, provider, NAV)

    status, _, body = get(dashboard, "/api/v1/environments", cookies)

    assert status == 200
    assert json.loads(body)["tenants"] == ["nav"]
    assert get(dashboard, "/environments/acme/dev", cookies)[0] == 404
    assert get(dashboard, "/environments/nav/dev", cookies)[0] == 200
    assert "Sign out" in get(dashboard, "/", cookies)[2]


def test_an_email_in_the_access_file_counts_like_a_group(
    dashboard: Dashboard, provider: OpenIdProvider
) -> None:
    cookies = sign_in(dashboard.base, provider, {"email": "Kari@acme.example", "groups": []})

    status, _, body = get(dashboard, "/api/v1/environments", cookies)

    assert status == 200
    assert json.loads(body)["tenants"] == ["acme"]


def test_hundreds_of_groups_keep_the_cookie_within_a_browsers_size(
    dashboard: Dashboard, provider: OpenIdProvider
) -> None:
    groups = [f"00000000-0000-0000-0000-{n:012d}" for n in range(300)] + ["nav-developers"]

    cookies = sign_in(dashboard.base, provider, {"email": "ola@nav.example", "groups": groups})

    assert len(cookies["fasit_session"]) <= 3800
    assert json.loads(get(dashboard, "/api/v1/environments", cookies)[2])["tenants"] == ["nav"]


def test_someone_the_access_file_does_not_name_gets_403_saying_so(
    dashboard: Dashboard, provider: OpenIdProvider
) -> None:
    cookies = sign_in(dashboard.base, provider, {"email": "guest@else.example"})

    status, _, body = get(dashboard, "/", cookies)

    assert status == 403
    assert "signed in as guest@else.example, but the access file gives you no tenant" in body


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        pytest.param(
            "signature",
            "the ID token&#39;s signature is not the provider&#39;s",
            id="a forged token (claims changed, signature kept)",
        ),
        pytest.param("expired", "the ID token has expired", id="an expired token"),
        pytest.param(
            "nonce",
            "the ID token answers another sign-in (nonce mismatch)",
            id="another sign-in's nonce",
        ),
        pytest.param(
            "audience", "the ID token was issued to another client (aud)", id="another client's"
        ),
        pytest.param(
            "issuer", "the ID token was issued by another provider (iss)", id="another issuer's"
        ),
    ],
)
def test_a_spoiled_id_token_is_refused_with_a_page_saying_why(
    dashboard: Dashboard, provider: OpenIdProvider, spoil: str, said: str
) -> None:
    status, body, cookies = callback_with(dashboard, provider, NAV, spoil)

    assert status == 401
    assert f"Sign-in refused: {said}." in body
    assert "fasit_session" not in cookies
    assert "eyJ" not in body  # no JWT, nor any part of one


def test_a_callback_whose_state_this_browser_did_not_start_is_refused(
    dashboard: Dashboard, provider: OpenIdProvider
) -> None:
    provider.next_sign_in(NAV)
    cookies: dict[str, str] = {}
    started = fetch(dashboard.base + "/auth/login", {})
    remember(cookies, started.set_cookies)
    forged = fetch(started.location, {}).location.replace("state=", "state=x", 1)

    callback = fetch(forged, cookies)

    assert callback.status == 401
    said = "the callback&#39;s state does not match the sign-in this browser started"
    assert said in callback.body
    assert not any(c.startswith("fasit_session=") for c in callback.set_cookies)


def test_sign_out_ends_the_session(dashboard: Dashboard, provider: OpenIdProvider) -> None:
    cookies = sign_in(dashboard.base, provider, NAV)

    signed_out = fetch(dashboard.base + "/auth/logout", cookies)
    remember(cookies, signed_out.set_cookies)

    assert signed_out.status == 200
    assert "Signed out" in signed_out.body
    assert cookies == {}
    assert get(dashboard, "/", cookies)[0] == 303


def test_sign_out_says_the_providers_session_outlives_it(
    dashboard: Dashboard, provider: OpenIdProvider
) -> None:
    cookies = sign_in(dashboard.base, provider, NAV)
    before = provider.signed_out()

    signed_out = fetch(dashboard.base + "/auth/logout", cookies)

    assert f"You may still be signed in at {provider.issuer}" in signed_out.body
    assert provider.signed_out() == before


def test_sign_out_at_the_provider_ends_both_sessions_and_comes_back(
    signing_out_at_provider: Dashboard, provider: OpenIdProvider
) -> None:
    base = signing_out_at_provider.base
    cookies = sign_in(base, provider, NAV)

    leaving = fetch(base + "/auth/logout", cookies)
    remember(cookies, leaving.set_cookies)
    back = fetch(leaving.location, {})
    landed = fetch(back.location, cookies)

    assert leaving.status == 303
    assert leaving.location.startswith(provider.issuer + "/endsession?")
    assert cookies == {}
    assert back.location == base + "/auth/signed-out"
    assert {"client_id": CLIENT_ID, "post_logout_redirect_uri": back.location} in (
        provider.signed_out()
    )
    assert landed.status == 200
    assert "Signed out" in landed.body
    assert "still signed in" not in landed.body


def test_a_session_cookie_changed_by_the_browser_counts_for_nothing(
    dashboard: Dashboard, provider: OpenIdProvider
) -> None:
    cookies = sign_in(dashboard.base, provider, NAV)
    content, _, mac = cookies["fasit_session"].partition(".")
    claims = json.loads(_b64decode(content))
    claims["groups"] = ["fleet-admins"]
    forged = _b64encode(json.dumps(claims, separators=(",", ":"), sort_keys=True)) + "." + mac

    status, _, _ = get(dashboard, "/api/v1/overview", {"fasit_session": forged})

    assert status == 401


def test_keys_the_provider_rotates_in_are_fetched_again(
    dashboard: Dashboard, provider: OpenIdProvider
) -> None:
    sign_in(dashboard.base, provider, NAV)  # the keys are fetched, and kept
    provider.rotate_keys()

    cookies = sign_in(dashboard.base, provider, NAV)

    assert get(dashboard, "/api/v1/overview", cookies)[0] == 200


def test_no_token_code_or_secret_reaches_the_log(
    dashboard: Dashboard, provider: OpenIdProvider
) -> None:
    cookies = sign_in(dashboard.base, provider, NAV)
    callback_with(dashboard, provider, NAV, "signature")

    log = dashboard.served.log.read_text(encoding="utf-8")

    assert "signed in" in log
    assert "sign-in refused" in log
    assert "eyJ" not in log
    assert dashboard.secret not in log
    assert cookies["fasit_session"].partition(".")[2] not in log


def _b64decode(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def _b64encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()
