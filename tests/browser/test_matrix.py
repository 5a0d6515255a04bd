"""The fleet matrix in Chromium: a release that changes version changes its cell live, without
a reload; the page is saved as test-artifacts/screenshots/matrix.png."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.support import LIVE_TIMEOUT, Dashboard, screenshot


def test_a_cell_changes_live_when_its_release_moves_to_another_version(
    start: Callable[..., Dashboard], page: Page
) -> None:
    dashboard = start()
    page.goto(dashboard.url("/"))
    page.get_by_role("link", name="Matrix").click()
    expect(page).to_have_url(dashboard.url("/matrix"))
    cell = page.locator('#matrix tr[data-feature="aivenator"] td[data-environment="nav/prod"]')
    expect(cell).to_have_text("1.1.0")
    expect(cell).to_have_attribute("data-status", "DEPLOYED")
    expect(cell).to_have_attribute("title", "DEPLOYED, desired 1.1.0")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    screenshot(page, "matrix")
    page.evaluate("window.__notReloaded = true")

    assignments = "assignments/aivenator/aiven.yaml"
    text = (dashboard.state / assignments).read_text(encoding="utf-8")
    dashboard.write(assignments, text.replace('version: "1.1.0"', 'version: "1.2.0"', 1))

    expect(cell).to_have_text("1.2.0", timeout=LIVE_TIMEOUT)
    expect(cell).to_have_attribute("data-status", "DEPLOYED", timeout=LIVE_TIMEOUT)
    expect(cell).to_have_attribute("title", "DEPLOYED, desired 1.2.0")
    assert page.evaluate("window.__notReloaded") is True
    expect(page).to_have_url(dashboard.url("/matrix"))
