"""The dashboard of `fasit serve` in a real headless Chromium, driven through Playwright."""
