"""Sign-in as a person does it, in Chromium, against a real OpenID provider on 127.0.0.1: a
page asked for without a session goes through the provider and comes back signed in, a nav
developer sees only nav, a forged ID token ends on a page saying so, and sign-out ends the
session (issue 23, item 1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import Dashboard, screenshot
from tests.integration.oidc.provider import CLIENT_ID, OpenIdProvider
from tests.integration.serve.support import EXAMPLE_SECRETS, serve

ACCESS = "groups:\n  nav-developers: [nav]\n  fleet-admins: ['*']\n"
NAV = {"email": "ola@nav.example", "groups": ["nav-developers"]}


@pytest.fixture
def dashboard(provider: OpenIdProvider, state: Path, tmp_path: Path) -> Iterator[Dashboard]:
    """`fasit serve` over the example fleet with sign-in at `provider` (ready once it serves
    a revision: its API needs a session now, so it is not waited on to settle)."""
    access = tmp_path / "access.yaml"
    access.write_text(ACCESS, encoding="utf-8")
    served = serve(
        tmp_path,
        *("--state-dir", str(state), "--secrets-dir", str(EXAMPLE_SECRETS), "--fake-agents"),
        *("--oidc-issuer", provider.issuer, "--oidc-client-id", CLIENT_ID),
        *("--access", str(access)),
    )
    started = Dashboard(served, state, tmp_path, frozenset())
    try:
        yield started
    finally:
        started.stop()


def test_a_nav_developer_signs_in_and_sees_only_nav(
    dashboard: Dashboard, provider: OpenIdProvider, page: Page
) -> None:
    provider.next_sign_in(NAV)

    page.goto(dashboard.url("/environments"))

    expect(page).to_have_url(dashboard.url("/environments"))
    expect(page.locator("h1")).to_have_text("Environments")
    expect(page.locator("a.signout")).to_have_text("Sign out")
    rows = page.locator("tr[data-environment]")
    expect(rows).to_have_count(4)
    environments = rows.evaluate_all("rows => rows.map(r => r.dataset.environment)")
    assert all(environment.startswith("nav/") for environment in environments), environments
    assert "acme" not in page.content()
    expect(page.locator("#live")).to_have_attribute("data-state", "live")  # the event stream too
    screenshot(page, "signed-in-environments")


def test_a_forged_id_token_ends_on_a_page_saying_so(
    dashboard: Dashboard, provider: OpenIdProvider, page: Page
) -> None:
    provider.next_sign_in(NAV, spoil="signature")

    response = page.goto(dashboard.url("/"))

    assert response is not None
    assert response.status == 401
    expect(page.locator("[role=alert]")).to_have_text(
        "Sign-in refused: the ID token's signature is not the provider's."
    )
    assert [c["name"] for c in page.context.cookies()] == []


def test_sign_out_ends_the_session(
    dashboard: Dashboard, provider: OpenIdProvider, page: Page
) -> None:
    provider.next_sign_in(NAV)
    page.goto(dashboard.url("/"))
    expect(page.locator("h1")).to_have_text("Overview")

    page.locator("a.signout").click()

    expect(page.locator("h1")).to_have_text("Signed out")
    assert "fasit_session" not in [c["name"] for c in page.context.cookies()]
    assert page.request.get(dashboard.url("/api/v1/overview")).status == 401
