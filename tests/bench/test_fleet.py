"""The benchmark fleet stays a valid state repository, so the benchmark measures a clean run."""

from __future__ import annotations

from pathlib import Path

from bench.fleet import write_fleet
from tests.helpers import run_cli


def test_small_fleet_validates_clean(tmp_path: Path) -> None:
    counts = write_fleet(tmp_path, tenants=2, features=12)

    run = run_cli("validate", tmp_path, "--strict", "--format", "json")

    assert run.exit_code == 0, run.stdout
    assert run.json["summary"]["environments"] == 100
    assert run.json["summary"]["configs"] == counts["configs"]
