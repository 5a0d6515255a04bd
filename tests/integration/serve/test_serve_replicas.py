"""Three `fasit serve` replicas share one fleet through PostgreSQL (issue 22's acceptance):
five naisd processes (fake executor), each given all three addresses, are served by whichever
replica owns their environment; every replica shows the whole fleet; a replica killed with
SIGKILL loses its environments to the others, and nothing is deployed twice."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path
from subprocess import Popen
from typing import Any

from fasit.agents import write_token_file
from tests import states
from tests.helpers import write_tree
from tests.integration.processes import LOOPBACK
from tests.integration.serve.support import Served, naisd, results_of, serve

ENVIRONMENTS = ("nav/dev", "nav/prod", "acme/dev", "acme/prod", "team/dev")
TAKEOVER = 60.0
"""A generous polling deadline (the lease time here is 6 s; the acceptance asks for 30 s)."""


def token(environment: str) -> str:
    return f"token-of-{environment}"


def write_state(state: Path, version: str) -> None:
    shutil.rmtree(state / "assignments", ignore_errors=True)  # one assignment, at `version`
    write_tree(
        state,
        states.state(
            *(states.environment(*env.split("/")) for env in ENVIRONMENTS),
            states.feature("web"),
            states.chart("web", "1.0.0"),
            states.chart("web", "1.1.0"),
            states.assignment("web", version, {}),
        ),
    )


def deployed(served: Served, version: str) -> bool:
    releases = served.releases()
    return len(releases) == len(ENVIRONMENTS) and all(
        item["status"] == "DEPLOYED" and item["running_version"] == version
        for item in releases.values()
    )


def replicas(served: Served) -> list[dict[str, Any]]:
    _, body = served.get("/api/v1/replicas")
    items: list[dict[str, Any]] = body["items"]
    return items


def owned_by_all(served: Served, count: int) -> bool:
    items = replicas(served)
    owned = sorted(e for item in items for e in item["environments"])
    return len(items) == count and owned == sorted(ENVIRONMENTS)


def test_replicas_share_the_fleet_and_take_over_from_a_killed_one(
    tmp_path: Path, postgres_url: str
) -> None:
    state = tmp_path / "state"
    write_state(state, "1.0.0")
    tokens = tmp_path / "agent-tokens.yaml"
    write_token_file(tokens, {env: token(env) for env in ENVIRONMENTS})
    arguments = (
        "--state-dir",
        str(state),
        "--agent-tokens",
        str(tokens),
        "--status-db",
        postgres_url,
        "--lease-ttl",
        "6",
    )
    served = [serve(tmp_path, *arguments) for _ in range(3)]
    addresses = ",".join(f"{LOOPBACK}:{replica.grpc}" for replica in served)
    agents: list[Popen[bytes]] = []
    try:
        agents = [
            naisd(tmp_path, served[0], env, token(env), "--executor", "fake",
                  "--fake-delay", "0-0", controller=addresses)
            for env in ENVIRONMENTS
        ]  # fmt: skip
        for replica in served:
            replica.until(lambda r=replica: deployed(r, "1.0.0"), "every release deployed")
        first = served[0]
        first.until(lambda: owned_by_all(first, 3), "three replicas owning every environment")

        items = replicas(first)
        busiest = max(items, key=lambda item: len(item["environments"]))
        (victim,) = [r for r in served if busiest["grpc_addr"] == f"{LOOPBACK}:{r.grpc}"]
        assert all(item["http_addr"] and item["last_seen"] for item in items)
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait()
        survivors = [r for r in served if r is not victim]

        for replica in survivors:
            replica.until(
                lambda r=replica: owned_by_all(r, 2), "the survivors owning everything", TAKEOVER
            )
            replica.until(lambda r=replica: deployed(r, "1.0.0"), "every agent back", TAKEOVER)
        write_state(state, "1.1.0")
        for replica in survivors:
            replica.until(lambda r=replica: deployed(r, "1.1.0"), "the bump everywhere", TAKEOVER)
    finally:
        for agent in agents:
            agent.send_signal(signal.SIGTERM)
        for agent in agents:
            agent.wait(timeout=15)
        for replica in served:
            if replica.process.poll() is None:
                replica.stop()

    for environment in ENVIRONMENTS:
        ran = results_of(tmp_path, environment).values()
        hashes = [result["release"]["release_hash"] for result in ran]
        assert len(hashes) == 2, (environment, list(ran))
        assert len(set(hashes)) == 2, (environment, list(ran))
        assert {result["outcome"] for result in ran} == {"deployed"}
