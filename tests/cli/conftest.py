"""Fixtures of the command-line specs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture
def root_logging_restored() -> Iterator[None]:
    """serve sets up the root logger for its process; the test process keeps its own."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level
