"""`fasit wait` as a process against `fasit serve --fake-agents` over a temporary state:
exit 0 once every release the revision changed is DEPLOYED, 1 naming a failed one, 2 on timeout."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import write_tree
from tests.integration.processes import LOOPBACK
from tests.integration.serve.support import Served, serve
from tests.integration.serve.test_serve import deployed, fleet

WAIT_BOUND = 60.0  # seconds the wait process may take before the test gives up on it


def start(tmp_path: Path, environ: dict[str, str] | None = None) -> tuple[Served, Path]:
    state = tmp_path / "state"
    write_tree(state, fleet())
    return serve(tmp_path, "--state-dir", str(state), "--fake-agents", environ=environ), state


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    running, state = start(tmp_path)
    try:
        yield running, state
    finally:
        running.stop()


def wait_command(served: Served, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "fasit",
        "wait",
        "--server",
        f"http://{LOOPBACK}:{served.http}",
        *args,
    ]


def wait(served: Served, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        wait_command(served, *args),
        capture_output=True,
        text=True,
        timeout=WAIT_BOUND,
        check=False,
    )


def served_revision(served: Served) -> str:
    _, status = served.get("/api/v1/status")
    return str(status["served"]["revision"])


def test_wait_exits_0_once_every_release_of_the_served_revision_is_deployed(
    served: tuple[Served, Path],
) -> None:
    running, _ = served

    done = wait(running, "--timeout", "45s")

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"done: revision {served_revision(running)[:12]}: 2 of 2 done\n"
    assert deployed(running, "nav/dev", "1.0.0")
    assert deployed(running, "nav/prod", "1.0.0")


def test_wait_for_a_bump_by_prefix_counts_only_what_the_bump_changed(
    served: tuple[Served, Path],
) -> None:
    running, state = served
    first = served_revision(running)
    running.until(lambda: deployed(running, "nav/prod", "1.0.0"), "the first rollout")

    write_tree(state, fleet(version="2.0.0"))
    running.until(lambda: served_revision(running) != first, "the bump to be served")
    done = wait(running, "--revision", served_revision(running)[:10], "--format", "json")

    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert (outcome["outcome"], outcome["progress"]["counts"]["done"]) == ("done", 1)
    assert deployed(running, "nav/dev", "2.0.0")


def test_wait_exits_1_naming_the_release_that_failed(tmp_path: Path) -> None:
    running, _ = start(tmp_path, {"FASIT_FAKE_FAILING": "nav/dev"})
    try:
        failed = wait(running, "--timeout", "45")
    finally:
        running.stop()

    assert failed.returncode == 1, failed.stderr
    assert failed.stdout.startswith("failed: revision ")
    assert "  nav/dev web: FAILED: " in failed.stdout
    assert "nav/prod" not in failed.stdout


def test_wait_exits_2_when_the_timeout_passes_while_a_release_is_pending(tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_tree(state, fleet())
    tokens = tmp_path / "agent-tokens.yaml"
    tokens.write_text(f'nav/dev: "sha256:{"0" * 64}"\n', encoding="utf-8")
    running = serve(tmp_path, "--state-dir", str(state), "--agent-tokens", str(tokens))
    try:  # no agent ever connects: every release stays OFFLINE
        late = wait(running, "--timeout", "2s")
    finally:
        running.stop()

    assert late.returncode == 2
    assert "fasit wait: timed out after 2s: 0 of 2 done; waiting for nav/dev web OFFLINE" in (
        late.stderr
    )


def test_wait_for_a_revision_the_server_never_sees_exits_2_on_timeout(
    served: tuple[Served, Path],
) -> None:
    running, _ = served

    late = wait(running, "--revision", "deadbeef", "--timeout", "1")

    assert late.returncode == 2
    assert "revision deadbeef: not seen by the server yet" in late.stderr
    assert "timed out after 1s: the server has not seen revision deadbeef yet" in late.stderr
