"""The example state repository is what `make demo` serves: it must stay clean."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli

EXAMPLE = Path(__file__).parents[2] / "example-state-repo"


def test_example_state_repo_validates_clean() -> None:
    run = run_cli("validate", EXAMPLE, "--strict", "--format", "json")

    assert run.exit_code == 0
    assert run.json["problems"] == []
    summary = run.json["summary"]
    assert (summary["environments"], summary["features"]) == (8, 4)
