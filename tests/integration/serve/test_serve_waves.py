"""Acceptance of progressive rollouts: `fasit serve --fake-agents` over five environments in two
waves (dev, then prod after a 5 s soak). A version bump reaches prod only once every dev
environment runs it DEPLOYED and the soak is over; a dev environment that fails it halts prod,
and /api/v1/rollouts says so. `fasit wait` follows both: exit 0, then exit 1 naming the halt.
Bounded polling; no assertion on how long anything took."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests import states
from tests.helpers import write_tree
from tests.integration.serve.support import Served, serve
from tests.integration.serve.test_wait import WAIT_BOUND, served_revision, wait, wait_command

DEV = ("acme/dev", "nav/dev")
PROD = ("acme/prod", "beta/prod", "nav/prod")
DEADLINE = 60.0


def fleet(version: str) -> dict[str, str]:
    return states.state(
        *(states.environment(*env.split("/")) for env in (*DEV, *PROD)),
        states.rollout("default", ("dev", {"env": "dev"}, "0s"), ("prod", {"env": "prod"}, "5s")),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.chart("web", "2.0.0"),
        states.assignment("web", version, {}, file="assignments/web.yaml"),
    )


def web(served: Served) -> dict[str, dict[str, Any]]:
    return {env: item for (env, feature), item in served.releases().items() if feature == "web"}


def runs(item: dict[str, Any], version: str) -> bool:
    return item["status"] == "DEPLOYED" and item["running_version"] == version


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_bump_reaches_prod_only_after_dev_runs_it_for_the_soak(tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_tree(state, fleet("1.0.0"))
    served = serve(tmp_path, "--state-dir", str(state), "--fake-agents")
    try:
        served.until(
            lambda: (
                all(runs(item, "1.0.0") for item in web(served).values()) and len(web(served)) == 5
            ),
            "every environment to run 1.0.0",
            DEADLINE,
        )
        first = served_revision(served)
        write_tree(state, fleet("2.0.0"))
        served.until(lambda: served_revision(served) != first, "the bump to be served", DEADLINE)
        waiting = subprocess.Popen(
            wait_command(served, "--revision", served_revision(served), "--timeout", "60s"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        seen: dict[str, Any] = {"waiting": False}

        def watch() -> bool:
            releases = web(served)
            if any(releases[env]["running_version"] == "2.0.0" for env in PROD):
                # Whenever prod runs the bump, every dev environment already does.
                assert all(runs(releases[env], "2.0.0") for env in DEV), releases
            else:
                held = [releases[env]["message"] for env in PROD]
                seen["waiting"] |= all(m.startswith("waiting for wave dev:") for m in held)
            return all(runs(releases[env], "2.0.0") for env in (*DEV, *PROD))

        served.until(watch, "every environment to run 2.0.0", DEADLINE)
        releases = web(served)
        dev_done = max(stamp(releases[env]["deployed_at"]) for env in DEV)
        prod_first = min(stamp(releases[env]["deployed_at"]) for env in PROD)
        assert prod_first >= dev_done + timedelta(seconds=5)  # the server's own clock
        assert seen["waiting"]
        assert served.get("/api/v1/rollouts") == (200, {"items": []})  # nothing left rolling
        out, err = waiting.communicate(timeout=WAIT_BOUND)
        assert waiting.returncode == 0, err
        assert out.startswith("done: revision ")
    finally:
        served.stop()


def test_a_failure_in_dev_halts_prod_and_the_rollouts_api_says_why(tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_tree(state, fleet("1.0.0"))
    served = serve(
        tmp_path,
        "--state-dir",
        str(state),
        "--fake-agents",
        environ={"FASIT_FAKE_FAILING": "acme/dev"},
    )
    try:

        def halted() -> bool:
            _, body = served.get("/api/v1/rollouts")
            return bool(body["items"]) and body["items"][0]["halted"] is not None

        served.until(halted, "the rollout to halt", DEADLINE)
        served.until(lambda: runs(web(served)["nav/dev"], "1.0.0"), "nav/dev to deploy", DEADLINE)
        _, body = served.get("/api/v1/rollouts")
        (change,) = body["items"]
        releases = web(served)

        assert change["feature"] == "web"
        assert change["version"] == "1.0.0"
        assert change["current_wave"] == "dev"
        assert change["halted"] == (
            "halted: acme/dev FAILED (wave dev); a revision that fixes it resumes"
        )
        assert [(wave["name"], wave["state"]) for wave in change["waves"]] == [
            ("dev", "rolling"),
            ("prod", "halted"),
            ("(rest)", "empty"),
        ]
        _, metrics = served.get("/metrics")
        assert f'fasit_rollout_wave{{change="{change["change"]}",feature="web"}} 0.0' in metrics
        assert releases["acme/dev"]["status"] == "FAILED"
        for env in PROD:
            assert releases[env]["status"] == "PENDING"
            assert releases[env]["running_version"] is None
            assert releases[env]["message"] == change["halted"]
        halted_wait = wait(served, "--timeout", "45s")
        assert halted_wait.returncode == 1, halted_wait.stderr
        assert "  acme/dev web: FAILED: " in halted_wait.stdout
        assert "  nav/prod web: PENDING: halted: acme/dev FAILED" in halted_wait.stdout
    finally:
        served.stop()
