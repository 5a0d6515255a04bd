"""What the browser tests share: the system Chromium, `fasit serve` over a copy of
example-state-repo/ with fake agents, and the screenshots kept as test artifacts."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

from tests.integration.processes import LOOPBACK
from tests.integration.serve.support import (
    Served,
    serve_state,
)

ROOT = Path(__file__).parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Chromium as root, in a container, talking to nobody but the server under test."""

LIVE_TIMEOUT = 15_000
"""Milliseconds a page may take to show what changed on the server (live updates)."""


def chromium_path() -> Path | None:
    """The Chromium to drive: $FASIT_CHROMIUM, else Debian's `chromium` (None: not installed)."""
    configured = os.environ.get("FASIT_CHROMIUM")
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    found = shutil.which("chromium") or "/usr/bin/chromium"
    return Path(found) if Path(found).is_file() else None


@dataclass
class Dashboard:
    """A running `fasit serve` over `state`, a copy of example-state-repo/."""

    served: Served
    state: Path
    scratch: Path
    failing: frozenset[str]

    def url(self, path: str = "/") -> str:
        return f"http://{LOOPBACK}:{self.served.http}{path}"

    def write(self, relative: str, text: str) -> None:
        """Replace a file of the state at once (a rename), as an editor or `git pull` would:
        the watcher never sees it half written."""
        target = self.state / relative
        draft = self.scratch / f"draft-{target.name}"
        draft.write_text(text, encoding="utf-8")
        os.replace(draft, target)

    def stop(self) -> None:
        if self.served.process.poll() is None:
            self.served.stop()


def start_dashboard(state: Path, scratch: Path, failing: Iterable[str] = ()) -> Dashboard:
    """`fasit serve` over `state` with a fake agent per environment (those in `failing` fail
    every deploy) and the example secrets, returned once the fleet settled."""
    failing = frozenset(failing)
    environ = {"FASIT_FAKE_FAILING": ",".join(sorted(failing))} if failing else {}
    return Dashboard(serve_state(scratch, state, environ), state, scratch, failing)


def screenshot(page: Page, name: str) -> Path:
    """The whole page as `test-artifacts/screenshots/<name>.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
