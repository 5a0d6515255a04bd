"""What deploy/compose.yaml promises (docs/ha.md), checked as text: Docker is not in CI.
Three replicas on one PostgreSQL, each advertising its own address; agents given all three;
every FASIT_ variable a real `fasit serve` flag, and no secret in the file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from fasit.cli import _parser

COMPOSE: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[2] / "deploy" / "compose.yaml").read_text(encoding="utf-8")
)
SERVICES: dict[str, Any] = COMPOSE["services"]
REPLICAS = {name: s for name, s in SERVICES.items() if s.get("image") == "fasit"}
AGENTS = {name: s for name, s in SERVICES.items() if s.get("image") == "naisd"}


def serve_flags() -> set[str]:
    (commands,) = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    serve: argparse.ArgumentParser = commands.choices["serve"]
    return {flag for action in serve._actions for flag in action.option_strings}


def test_three_replicas_share_one_postgresql_database() -> None:
    databases = {s["environment"]["FASIT_STATUS_DB"] for s in REPLICAS.values()}

    assert len(REPLICAS) == 3
    assert len(databases) == 1
    (url,) = databases
    assert url.startswith("postgresql://")
    assert ":" not in url.removeprefix("postgresql://").split("@")[0]  # no password in it
    assert SERVICES["postgres"]["image"].startswith("postgres:")


def test_each_replica_advertises_its_own_address() -> None:
    advertised = [s["environment"]["FASIT_ADVERTISE_ADDR"] for s in REPLICAS.values()]

    assert advertised == [f"{name}:9090" for name in REPLICAS]


def test_every_agent_is_given_every_replicas_address() -> None:
    addresses = ",".join(s["environment"]["FASIT_ADVERTISE_ADDR"] for s in REPLICAS.values())

    assert AGENTS
    for service in AGENTS.values():
        assert f"--controller={addresses}" in service["command"]


def test_every_fasit_variable_names_a_serve_flag() -> None:
    flags = serve_flags()
    for service in REPLICAS.values():
        for variable in service["environment"]:
            if variable.startswith("FASIT_"):
                flag = "--" + variable.removeprefix("FASIT_").lower().replace("_", "-")
                assert flag in flags, variable


def test_secrets_come_from_files_beside_it() -> None:
    for name, secret in COMPOSE["secrets"].items():
        assert secret["file"].startswith("./secrets/"), name
