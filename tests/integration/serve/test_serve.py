"""`fasit serve` end to end: a state directory, fake agents over real gRPC, the status API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import states
from tests.helpers import write_tree
from tests.integration.serve.support import Served, serve

STOP_BOUND = 10.0  # seconds: the bound for SIGTERM to exit


def fleet(version: str = "1.0.0") -> dict[str, str]:
    return states.state(
        states.environment("nav", "dev"),
        states.environment("nav", "prod"),
        states.feature("web"),
        states.chart("web", "1.0.0"),
        states.chart("web", "2.0.0"),
        states.assignment("web", "1.0.0", {}),
        states.assignment("web", version, {"env": "dev"}) if version != "1.0.0" else {},
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    state = tmp_path / "state"
    write_tree(state, fleet())
    running = serve(tmp_path, "--state-dir", str(state), "--fake-agents")
    try:
        yield running, state
    finally:
        if running.process.poll() is None:
            running.stop()


def deployed(served: Served, environment: str, version: str) -> bool:
    item = served.releases().get((environment, "web"))
    return item is not None and item["status"] == "DEPLOYED" and item["running_version"] == version


def test_fake_agents_converge_on_the_state_and_the_api_shows_it(
    served: tuple[Served, Path],
) -> None:
    running, _ = served

    running.until(lambda: deployed(running, "nav/dev", "1.0.0"), "nav/dev deployed")
    running.until(lambda: deployed(running, "nav/prod", "1.0.0"), "nav/prod deployed")
    _, status = running.get("/api/v1/status")
    assert status["agents_connected"] == 2


def test_an_edit_reaches_exactly_the_environments_it_targets(served: tuple[Served, Path]) -> None:
    running, state = served
    running.until(lambda: deployed(running, "nav/prod", "1.0.0"), "first rollout")

    write_tree(state, fleet(version="2.0.0"))

    running.until(lambda: deployed(running, "nav/dev", "2.0.0"), "nav/dev upgraded")
    assert deployed(running, "nav/prod", "1.0.0")


def test_a_broken_edit_changes_nothing_and_shows_in_the_status(
    served: tuple[Served, Path],
) -> None:
    running, state = served
    running.until(lambda: deployed(running, "nav/dev", "1.0.0"), "first rollout")
    (state / "environments" / "nav" / "dev.yaml").write_text("kind: [unclosed\n")

    running.until(
        lambda: running.get("/api/v1/status")[1]["latest"]["outcome"] == "failed",
        "the failed revision in the status",
    )
    _, status = running.get("/api/v1/status")
    assert status["latest"]["problems"][0]["file"] == "environments/nav/dev.yaml"
    assert status["stale_since"] is not None
    assert deployed(running, "nav/dev", "1.0.0")


def test_sigterm_stops_serve_within_10_seconds(served: tuple[Served, Path]) -> None:
    running, _ = served

    seconds = running.stop()

    assert running.process.returncode == 0
    assert seconds < STOP_BOUND, running.log.read_text()[-2000:]


def test_with_no_source_it_serves_the_example_repository_with_fake_agents(
    tmp_path: Path,
) -> None:
    running = serve(tmp_path)
    try:
        environments = len(list(Path("example-state-repo/environments").glob("*/*.yaml")))

        running.until(
            lambda: running.get("/api/v1/status")[1]["agents_connected"] == environments,
            "a fake agent per example environment",
        )
        running.until(
            lambda: any(item["status"] == "DEPLOYED" for item in running.releases().values()),
            "the first release deployed",
        )
    finally:
        running.stop()


def test_metrics_show_the_loop_and_each_release(served: tuple[Served, Path]) -> None:
    running, _ = served
    running.until(lambda: deployed(running, "nav/prod", "1.0.0"), "first rollout")
    running.until(lambda: deployed(running, "nav/dev", "1.0.0"), "first rollout")

    status, text = running.get("/metrics")

    assert status == 200
    lines = set(text.splitlines())
    for release in ("nav/dev", "nav/prod"):
        assert (
            f'fasit_release_info{{environment="{release}",feature="web",'
            'status="DEPLOYED",version="1.0.0"} 1.0'
        ) in lines
    assert "fasit_agents_connected 2.0" in lines
    assert "fasit_instructions_sent_total 2.0" in lines
    assert 'fasit_deploy_seconds_count{outcome="deployed"} 2.0' in lines
    assert "fasit_snapshot_build_seconds_count 1.0" in lines
    assert 'fasit_sync_errors_total{reason="blocking-problems"} 0.0' in lines
    assert any(line.startswith("fasit_reconcile_seconds_count ") for line in lines)
    assert any(line.startswith('fasit_decisions_total{reason="deploy"}') for line in lines)
    assert any(line.startswith("fasit_revision_info{") for line in lines)


def test_json_logs_carry_environment_feature_and_revision_of_each_decision(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    write_tree(state, fleet())
    running = serve(tmp_path, "--state-dir", str(state), "--fake-agents", "--log-format", "json")
    try:
        running.until(lambda: deployed(running, "nav/dev", "1.0.0"), "nav/dev deployed")
    finally:
        running.stop()

    records = [json.loads(line) for line in running.log.read_text().splitlines()]
    decisions = [r for r in records if r["logger"] == "fasit.reconcile.reconciler"]
    deploy = next(r for r in decisions if r.get("reason") == "deploy")
    assert deploy["environment"] in ("nav/dev", "nav/prod")
    assert deploy["feature"] == "web"
    assert deploy["revision"]
    assert {"time", "level", "message"} <= deploy.keys()


def test_a_hung_agent_shows_offline_after_the_agent_timeout(tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_tree(state, fleet())
    running = serve(
        tmp_path,
        "--state-dir",
        str(state),
        "--fake-agents",
        "--agent-timeout",
        "1",
        environ={"FASIT_FAKE_UNHEALTHY": "nav/dev"},
    )
    try:
        running.until(
            lambda: running.releases().get(("nav/dev", "web"), {}).get("status") == "OFFLINE",
            "nav/dev offline",
        )
        running.until(lambda: deployed(running, "nav/prod", "1.0.0"), "nav/prod deployed")
        _, status = running.get("/api/v1/status")
        assert status["agents_connected"] == 1
    finally:
        running.stop()
