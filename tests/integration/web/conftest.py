"""The chart route on a real uvicorn at 127.0.0.1, with agent tokens for two environments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fasit.agents import write_token_file
from tests.integration.web_server import ChartServer, chart_server

TOKENS = {"nav/prod": "prod-token", "nav/dev": "dev-token"}


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "agent-tokens.yaml"
    write_token_file(path, TOKENS)
    return path


@pytest.fixture
def charts(tmp_path: Path, token_file: Path) -> Iterator[ChartServer]:
    """web 1.0.0 published and served."""
    with chart_server(tmp_path / "state", token_file) as server:
        yield server
