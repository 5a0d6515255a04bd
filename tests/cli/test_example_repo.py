"""The example state repository is what `make demo` serves: it must stay clean."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import run_cli

EXAMPLE = Path(__file__).parents[2] / "example-state-repo"


def test_example_state_repo_validates_clean() -> None:
    run = run_cli("validate", EXAMPLE, "--strict", "--format", "json")

    assert run.exit_code == 0
    assert run.json["problems"] == []
    summary = run.json["summary"]
    assert (summary["environments"], summary["features"]) == (8, 4)


def test_unassigning_the_protected_agent_orphans_it_instead_of_uninstalling(
    tmp_path: Path,
) -> None:
    head = shutil.copytree(EXAMPLE, tmp_path / "head")
    shutil.rmtree(head / "assignments" / "naisd")

    run = run_cli("plan", head, "--base", str(EXAMPLE), "--format", "json")

    assert run.exit_code == 0
    running = [
        change
        for change in run.json["changes"]
        if change["feature"] == "naisd" and change["from_status"] == "planned"
    ]
    assert running
    assert {change["change"] for change in running} == {"orphan"}
    assert all("protected: true" in change["message"] for change in running)
