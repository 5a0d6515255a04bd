"""The dashboard as a user sees it in Chromium: the pages, the links between them, live updates
after an edit of the state, and markup from the state shown as text.

Every page the journey visits is saved as test-artifacts/screenshots/<page>.png.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.support import LIVE_TIMEOUT, Dashboard, screenshot
from tests.integration.serve.support import EXAMPLE_SECRETS

MARKUP = """<script>window.__xss=1</script><img src=x onerror="window.__xss=2">"""


def test_a_user_goes_from_the_overview_to_a_feature_to_an_environment_to_a_release(
    start: Callable[..., Dashboard], page: Page
) -> None:
    dashboard = start(failing=["acme/staging"])

    page.goto(dashboard.url("/"))
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("#served")).to_contain_text("Serving")
    staging = page.locator('#attention tr[data-environment="acme/staging"]')
    expect(staging.locator("[data-badge=failed]")).to_have_text("2 failed")
    expect(page.locator('#features tr[data-feature="naisd"] [data-pill=failed]')).to_be_visible()
    screenshot(page, "overview")

    page.locator('#features tr[data-feature="aivenator"] a').click()
    expect(page).to_have_url(dashboard.url("/features/aivenator"))
    expect(page.locator("h1")).to_have_text("Feature aivenator")
    nav_dev = page.locator('#releases tr[data-environment="nav/dev"]')
    expect(nav_dev).to_have_attribute("data-status", "DEPLOYED")
    expect(nav_dev.locator("td").nth(2)).to_have_text("1.2.0")
    screenshot(page, "feature")

    nav_dev.get_by_role("link", name="nav/dev").click()
    expect(page).to_have_url(dashboard.url("/environments/nav/dev"))
    expect(page.locator("h1")).to_have_text("Environment nav/dev")
    expect(page.locator("#labels .label")).to_contain_text(["aiven=enabled"])
    expect(page.locator("#agent")).to_contain_text("connected")
    aivenator = page.locator('#releases tr[data-feature="aivenator"]')
    expect(aivenator).to_have_attribute("data-status", "DEPLOYED")
    screenshot(page, "environment")

    aivenator.locator("[data-status=DEPLOYED]").click()
    expect(page).to_have_url(dashboard.url("/environments/nav/dev/features/aivenator"))
    expect(page.locator("h1")).to_have_text("aivenator on nav/dev")
    expect(page.locator("#release-status [data-status]")).to_have_text("DEPLOYED")
    won = page.locator("#verdicts tr.won")
    expect(won).to_have_count(1)
    expect(won.locator("td").first).to_have_text("✔ won")
    expect(won.locator("td").nth(2)).to_have_text("1.2.0")
    expect(page.locator('#values tr[data-key="apiToken"] td').nth(1)).to_have_text("***")
    expect(page.locator(".deploy pre.log").first).to_be_visible()
    screenshot(page, "release")
    secret = (EXAMPLE_SECRETS / "nav-dev-aiven-token").read_text(encoding="utf-8").strip()
    assert secret not in page.content()

    page.get_by_role("navigation").get_by_role("link", name="Features").click()
    expect(page.locator("h1")).to_have_text("Features")
    expect(page.locator("#features tr[data-feature]")).to_have_count(4)
    screenshot(page, "features")

    page.get_by_role("navigation").get_by_role("link", name="Environments").click()
    expect(page.locator("h1")).to_have_text("Environments")
    expect(page.locator("#environments tr[data-environment]")).to_have_count(8)
    screenshot(page, "environments")

    page.get_by_role("navigation").get_by_role("link", name="Revisions").click()
    expect(page.locator("h1")).to_have_text("Revisions")
    expect(page.locator("section.revision[data-revision]")).to_have_count(1)
    expect(page.locator("section.revision .outcome")).to_have_text("served")
    screenshot(page, "revisions")

    page.get_by_role("navigation").get_by_role("link", name="Rollouts").click()
    expect(page.locator("h1")).to_have_text("Rollouts")
    screenshot(page, "rollouts")


def test_a_status_changes_live_without_a_reload_after_a_file_edit(
    start: Callable[..., Dashboard], page: Page
) -> None:
    dashboard = start()
    page.goto(dashboard.url("/features/aivenator"))
    nav_prod = page.locator('#releases tr[data-environment="nav/prod"]')
    expect(nav_prod.locator("td").nth(2)).to_have_text("1.1.0")
    page.evaluate("window.__notReloaded = true")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")

    assignments = "assignments/aivenator/aiven.yaml"
    text = (dashboard.state / assignments).read_text(encoding="utf-8")
    dashboard.write(assignments, text.replace('version: "1.1.0"', 'version: "1.2.0"', 1))

    expect(nav_prod.locator("td").nth(2)).to_have_text("1.2.0", timeout=LIVE_TIMEOUT)
    expect(nav_prod).to_have_attribute("data-status", "DEPLOYED", timeout=LIVE_TIMEOUT)
    assert page.evaluate("window.__notReloaded") is True
    expect(page).to_have_url(dashboard.url("/features/aivenator"))


def test_a_broken_edit_shows_the_failed_revision_banner(
    start: Callable[..., Dashboard], page: Page
) -> None:
    dashboard = start()
    page.goto(dashboard.url("/"))
    served = page.locator("#served").inner_text()
    expect(page.locator("#failed-revision")).to_have_count(0)
    expect(page.locator("#live")).to_have_attribute("data-state", "live")

    environment = "environments/nav/dev.yaml"
    lines = (dashboard.state / environment).read_text(encoding="utf-8").splitlines()
    broken = lines.index("environmentKind: tenant")
    lines[broken] = "environmentKind: tenant: oops"  # a mapping value where none may be
    dashboard.write(environment, "\n".join(lines) + "\n")

    banner = page.locator("#failed-revision")
    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT)
    expect(banner.locator("code.where")).to_contain_text([f"{environment}:{broken + 1}:"])
    expect(banner).to_contain_text("was not served")
    expect(page.locator("#served")).to_have_text(served)
    screenshot(page, "failed-revision-banner")


def test_markup_in_a_label_renders_as_text(
    state: Path, start: Callable[..., Dashboard], page: Page
) -> None:
    environment = state / "environments" / "nav" / "dev.yaml"
    text = environment.read_text(encoding="utf-8")
    labelled = text.replace("aiven: enabled}", f"aiven: enabled, note: '{MARKUP}'}}", 1)
    assert labelled != text
    environment.write_text(labelled, encoding="utf-8")
    dashboard = start()

    page.goto(dashboard.url("/environments/nav/dev"))

    labels = page.locator("#labels")
    expect(labels.locator(".label")).to_contain_text([f"note={MARKUP}"])
    expect(labels).to_contain_text("<script>")
    expect(labels.locator("img")).to_have_count(0)
    expect(labels.locator("script")).to_have_count(0)
    assert page.evaluate("typeof window.__xss") == "undefined"
