"""Fixtures of the browser tests: one Chromium for the package, a fresh page per test, and a
`fasit serve` per test over its own copy of example-state-repo/.

Playwright's sync API marks its event loop as running in this thread for as long as it is
started, so an asyncio test could not run beside it: the browser lives for this package only
(torn down before pytest moves on to the next one), and the tests here are plain sync tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Page, sync_playwright

from tests.browser.support import (
    CHROMIUM_FLAGS,
    Dashboard,
    chromium_path,
    start_dashboard,
)
from tests.integration.oidc.provider import OpenIdProvider, install
from tests.integration.serve.support import copy_example


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium (or $FASIT_CHROMIUM), launched once for the package."""
    executable = chromium_path()
    if executable is None:
        pytest.fail(
            "no Chromium for the browser tests: install Debian's `chromium` (`make test` does, "
            "with apt-get) or set FASIT_CHROMIUM to a Chromium binary "
            f"(FASIT_CHROMIUM={os.environ.get('FASIT_CHROMIUM', '')!r})",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_FLAGS
            )
        except Error as exc:
            pytest.fail(f"Chromium at {executable} did not start: {exc}", pytrace=False)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context; a script error on any page fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    opened = context.new_page()
    opened.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
    opened.set_default_timeout(10_000)
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A copy of example-state-repo/ to serve (and edit)."""
    return copy_example(tmp_path)


@pytest.fixture
def start(tmp_path: Path, state: Path) -> Iterator[Callable[..., Dashboard]]:
    """`start(failing=())`: `fasit serve` over `state` with fake agents, once settled; stopped
    after the test."""
    started: list[Dashboard] = []

    def start(failing: Iterable[str] = ()) -> Dashboard:
        dashboard = start_dashboard(state, tmp_path, failing)
        started.append(dashboard)
        return dashboard

    yield start
    for dashboard in started:
        dashboard.stop()


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIdProvider]:
    """A real OpenID provider on 127.0.0.1 (tests/integration/oidc/provider.py)."""
    with OpenIdProvider(install()) as started:
        yield started
