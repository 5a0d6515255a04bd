"""`fasit serve` killed mid-rollout and started again on the same status store (a SQLite file
or a PostgreSQL database): naisd processes (fake executor) finish what they were given, and
nothing is deployed twice."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from fasit.agents import write_token_file
from tests import states
from tests.helpers import write_tree
from tests.integration.serve.support import Served, naisd, results_of, serve

ENVIRONMENTS = ("nav/dev", "nav/prod")


def token(environment: str) -> str:
    return f"token-of-{environment}"


def statuses(served: Served) -> dict[str, str]:
    return {env: item["status"] for (env, _), item in served.releases().items()}


@pytest.fixture(params=["sqlite", "postgresql"])
def status_store(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """Extra `fasit serve` arguments: none for the SQLite file, else a PostgreSQL database."""
    if request.param == "sqlite":
        return ()
    return ("--status-db", request.getfixturevalue("postgres_url"))


def test_killing_serve_mid_rollout_and_starting_it_again_deploys_nothing_twice(
    tmp_path: Path, status_store: tuple[str, ...]
) -> None:
    state = tmp_path / "state"
    write_tree(
        state,
        states.state(
            *(states.environment(*env.split("/")) for env in ENVIRONMENTS),
            states.feature("web"),
            states.chart("web", "1.0.0"),
            states.assignment("web", "1.0.0", {}),
        ),
    )
    tokens = tmp_path / "agent-tokens.yaml"
    write_token_file(tokens, {env: token(env) for env in ENVIRONMENTS})
    arguments = ("--state-dir", str(state), "--agent-tokens", str(tokens), *status_store)
    first = serve(tmp_path, *arguments)
    agents = [
        naisd(tmp_path, first, env, token(env), "--executor", "fake", "--fake-delay", "2-2")
        for env in ENVIRONMENTS
    ]
    try:
        first.until(
            lambda: set(statuses(first).values()) == {"INSTALLING"}, "both deploys in flight"
        )
        first.process.send_signal(signal.SIGKILL)  # no goodbye: nothing flushed on purpose
        first.process.wait()

        second = serve(tmp_path, *arguments, ports=(first.http, first.grpc))
        try:
            second.until(lambda: set(statuses(second).values()) == {"DEPLOYED"}, "both deployed")
        finally:
            second.stop()
    finally:
        for agent in agents:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=15)

    for environment in ENVIRONMENTS:
        ran = results_of(tmp_path, environment)
        assert len(ran) == 1, (environment, ran)
        assert next(iter(ran.values()))["outcome"] == "deployed"


def test_an_environment_without_an_agent_is_offline_and_catches_up_when_one_connects(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    write_tree(
        state,
        states.state(
            states.environment("nav", "dev"),
            states.feature("web"),
            states.chart("web", "1.0.0"),
            states.assignment("web", "1.0.0", {}),
        ),
    )
    tokens = tmp_path / "agent-tokens.yaml"
    write_token_file(tokens, {"nav/dev": token("nav/dev")})
    served = serve(tmp_path, "--state-dir", str(state), "--agent-tokens", str(tokens))
    agent = None
    try:
        served.until(lambda: statuses(served) == {"nav/dev": "OFFLINE"}, "nav/dev offline")

        fast_fake = ("--executor", "fake", "--fake-delay", "0-0")
        agent = naisd(tmp_path, served, "nav/dev", token("nav/dev"), *fast_fake)

        served.until(lambda: statuses(served) == {"nav/dev": "DEPLOYED"}, "nav/dev deployed")
    finally:
        if agent is not None:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=15)
        served.stop()
